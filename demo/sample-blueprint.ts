// A small blueprint release for the demo, used when blueprints/default/ is not there.
const envType = (replicas: number, cpu: string, memory: string) => ({
  replicas,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  quota: { cpu, memory, pods: 50 },
  containerDefaults: { request: { cpu: '50m', memory: '64Mi' }, limit: { cpu: '500m', memory: '256Mi' } },
});

export const SAMPLE_BLUEPRINT = {
  apiVersion: 'fleetplane.io/v1alpha1',
  kind: 'Blueprint',
  metadata: { name: 'demo-app', version: '1.0.0', description: 'A web front end and a worker' },
  spec: {
    product: { registry: 'registry.example.com/demo', tag: '1.0.0' },
    parameters: {
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          logLevel: { type: 'string', enum: ['debug', 'info', 'warn'], default: 'info' },
          featureFlags: { type: 'array', items: { type: 'string' }, default: [] },
        },
      },
    },
    environmentTypes: { prod: envType(2, '4', '8Gi'), staging: envType(1, '2', '4Gi'), dev: envType(1, '1', '2Gi') },
    components: [
      { name: 'web', kind: 'web-service', image: { repository: 'web' }, ports: [{ name: 'http', port: 8080 }], expose: { port: 'http' }, config: { LOG_LEVEL: '${params.logLevel}' } },
      { name: 'worker', kind: 'worker', image: { repository: 'worker' } },
    ],
  },
};
