// The metering dimensions and hour arithmetic live in the core (src/domain/metering-dimensions.ts),
// so the store adapter can use them without importing the metering service.
export * from '../domain/metering-dimensions.ts';
