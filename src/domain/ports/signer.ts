// Signing port: what signs self-managed bundles (src/api/routes/bundles.ts). The implementation
// (src/adapters/store/crypto.ts, bundleSigner) derives an Ed25519 key from the store's secret key;
// `serve` builds it once and passes it to the API next to the store, which does not sign anything.
export interface Signer {
  /** Short fingerprint of the public key. */
  readonly keyId: string;
  /** SPKI PEM, to publish: `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in FILE -sigfile FILE.sig`. */
  readonly publicKeyPem: string;
  /** Raw 64-byte Ed25519 signature of data. */
  sign(data: Buffer | string): Buffer;
}
