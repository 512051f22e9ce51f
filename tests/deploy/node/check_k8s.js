// Checks deploy/k8s as rendered by `kubectl kustomize`: every overlay, the tls-auth component
// (through overlays/cpu-tls-auth) and the examples. Every object must pass its Kubernetes
// schema, which catches wrong types and values but not unknown or missing fields, so the
// fields the deployment depends on are checked by name, against the server's own flags
// (server/main.cc) and the settings the ConfigMap gives it.
// Usage (check_k8s.sh sets NODE_PATH): node check_k8s.js --repo REPO --work WORK_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const {
  render, parseDocuments, schemaProblems, MiB, toCores, toBytes, selects, canonical, flagValue,
  check, expect, results,
} = require('./manifests');

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const repo = arg('--repo');
const workDir = arg('--work');
const k8sDir = path.join(repo, 'deploy/k8s');
const readRepo = (file) => fs.readFileSync(path.join(repo, file), 'utf8');

const SERVICE = 'attnserve.v1.AttentionService';
const VARIANTS = [
  { name: 'cpu', image: 'attnserve:0.1.0-cpu', gpu: false, tls: false },
  { name: 'gpu', image: 'attnserve:0.1.0-cuda', gpu: true, tls: false },
  { name: 'cpu-tls-auth', image: 'attnserve:0.1.0-cpu', gpu: false, tls: true },
];
// The tls-auth component's settings: each names a file of a Secret volume.
const TLS_FILES = {
  ATTNSERVE_TLS_CERT: ['attnserve-tls', 'tls.crt'],
  ATTNSERVE_TLS_KEY: ['attnserve-tls', 'tls.key'],
  ATTNSERVE_TLS_CLIENT_CA: ['attnserve-tls', 'ca.crt'],
  ATTNSERVE_AUTH_TOKEN_FILE: ['attnserve-auth', 'tokens'],
};
const SERVER_FLAGS = new Set([...readRepo('server/main.cc')
  .matchAll(/ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,/g)].map((m) => m[1]));

function checkVariant(variant, objs) {
  const v = variant.name;
  const find = (kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
  const configMap = objs.find((o) => o.kind === 'ConfigMap' &&
                                     o.metadata.name.startsWith('attnserve-config-'));
  const deployment = find('Deployment', 'attnserve');
  const headless = find('Service', 'attnserve-headless');
  const clusterIp = find('Service', 'attnserve');
  const pdb = find('PodDisruptionBudget', 'attnserve');
  const hpa = find('HorizontalPodAutoscaler', 'attnserve');
  const monitor = find('ServiceMonitor', 'attnserve');

  check(`${v}: renders exactly the expected objects, no Secret`, () => {
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`.replace(/-config-.*/, '-config-'))
      .sort().join(' ');
    return [expect(names === 'ConfigMap/attnserve-config- Deployment/attnserve ' +
      'HorizontalPodAutoscaler/attnserve PodDisruptionBudget/attnserve Service/attnserve ' +
      'Service/attnserve-headless ServiceMonitor/attnserve', `got ${names}`)];
  });
  check(`${v}: every object passes its Kubernetes schema`, () => objs.flatMap(schemaProblems));
  if (!deployment || !configMap) return;  // the checks below all need these two

  const pod = deployment.spec.template;
  const container = pod.spec.containers.find((c) => c.name === 'attnserve') || {};
  const settings = configMap.data || {};
  const port = Number(settings.ATTNSERVE_PORT || 50051);
  const metricsPort = Number(settings.ATTNSERVE_METRICS_PORT || 9464);
  const threads = Number(settings.ATTNSERVE_THREADS);
  const graceSeconds = Number(settings.ATTNSERVE_SHUTDOWN_GRACE_SECONDS || 10);
  const containerPort = (name) =>
    ((container.ports || []).find((p) => p.name === name) || {}).containerPort;
  // A Service port's targetPort (a name or a number) as a container port number.
  const target = (servicePort) => (typeof servicePort.targetPort === 'string'
    ? containerPort(servicePort.targetPort) : servicePort.targetPort || servicePort.port);
  const hasPort = (service, name, number) =>
    service.spec.ports.some((p) => p.name === name && target(p) === number);

  check(`${v}: one container, image ${variant.image}`, () => [
    expect(pod.spec.containers.length === 1, 'one container expected'),
    expect(container.image === variant.image, `image is ${container.image}`),
  ]);
  check(`${v}: ConfigMap sets real server flags only, threads explicitly, no backend`, () => [
    ...Object.keys(settings).map((key) => expect(key.startsWith('ATTNSERVE_') &&
      SERVER_FLAGS.has(key.slice(10).toLowerCase()), `${key} names no flag of server/main.cc`)),
    expect(threads >= 1, 'ATTNSERVE_THREADS must be set (0 means every core of the node)'),
    expect(!('ATTNSERVE_BACKEND' in settings), 'ATTNSERVE_BACKEND is set'),
  ]);
  check(`${v}: the environment comes from the ConfigMap, without Service links`, () => [
    expect((container.envFrom || []).some((e) => e.configMapRef &&
      e.configMapRef.name === configMap.metadata.name), 'no envFrom of the rendered ConfigMap'),
    expect(pod.spec.enableServiceLinks === false,
           'enableServiceLinks must be false: Service attnserve would add ATTNSERVE_* variables'),
  ]);
  check(`${v}: container ports grpc=${port} and metrics=${metricsPort}`, () => [
    expect(containerPort('grpc') === port, `grpc port is ${containerPort('grpc')}`),
    expect(containerPort('metrics') === metricsPort, `metrics is ${containerPort('metrics')}`),
  ]);
  check(`${v}: startup, readiness and liveness probes ask the gRPC health service`, () => {
    const problems = [];
    const want = (condition, problem) => problems.push(expect(condition, problem));
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = container[kind];
      if (!probe) { problems.push(`${kind} missing`); continue; }
      const handlers = ['exec', 'grpc', 'httpGet', 'tcpSocket'].filter((h) => probe[h]);
      want(handlers.length === 1, `${kind} has handlers [${handlers}]; one allowed`);
      const service = kind === 'livenessProbe' ? '' : SERVICE;
      if (!variant.tls) {
        const grpc = probe.grpc || {};
        want(grpc.port === port, `${kind} is not gRPC on ${port}`);
        want((grpc.service || '') === service, `${kind} asks about "${grpc.service}"`);
        continue;
      }
      // With TLS: `attnctl health` with the server's own files (kubelet's gRPC has no TLS).
      const command = (probe.exec || {}).command || [];
      const flag = (name) => flagValue(command, name);
      want(command[0] === 'attnctl' && command[1] === 'health', `${kind} runs ${command}`);
      want(flag('target') === `127.0.0.1:${port}`, `${kind} --target`);
      want((flag('service') || '') === service, `${kind} --service`);
      want(flag('tls_ca') === settings.ATTNSERVE_TLS_CLIENT_CA, `${kind} --tls_ca`);
      want(flag('tls_cert') === settings.ATTNSERVE_TLS_CERT, `${kind} --tls_cert`);
      want(flag('tls_key') === settings.ATTNSERVE_TLS_KEY, `${kind} --tls_key`);
      want(flag('tls_server_name'), `${kind} needs --tls_server_name`);
      want(!flag('auth_token_file'), `${kind}: health needs no token`);
      want(Number(flag('timeout_seconds')) < (probe.timeoutSeconds || 1),
           `${kind}: attnctl's deadline must end before the probe's timeout`);
    }
    const live = container.livenessProbe || {};
    want((live.failureThreshold || 3) * (live.periodSeconds || 10) > graceSeconds,
         'liveness would give up on a pod during its drain');
    const start = container.startupProbe || {};
    want((start.failureThreshold || 3) * (start.periodSeconds || 10) >= 60,
         'startup probe allows less than 60 s for the self-check');
    return problems;
  });
  check(`${v}: uid 10001, non-root, read-only root, no escalation, no capabilities`, () => {
    const podContext = pod.spec.securityContext || {};
    const context = container.securityContext || {};
    const capabilities = context.capabilities || {};
    return [
      expect((context.runAsNonRoot ?? podContext.runAsNonRoot) === true, 'runAsNonRoot'),
      expect((context.runAsUser ?? podContext.runAsUser) === 10001, 'runAsUser 10001'),
      expect(context.readOnlyRootFilesystem === true, 'readOnlyRootFilesystem'),
      expect(context.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation false'),
      expect((capabilities.drop || []).includes('ALL') && !capabilities.add, 'drop ALL, add none'),
      expect(!context.privileged, 'privileged'),
      expect(pod.spec.automountServiceAccountToken === false, 'mounts a service account token'),
    ];
  });
  check(`${v}: CPU and memory sized from the threads and admission limits`, () => {
    const { requests = {}, limits = {} } = container.resources || {};
    if (!requests.cpu || !requests.memory || !limits.cpu || !limits.memory) {
      return ['requests and limits of cpu and memory must all be set'];
    }
    const message = Number(settings.ATTNSERVE_MAX_MESSAGE_BYTES || 256 * MiB);
    const inflight = Number(settings.ATTNSERVE_MAX_INFLIGHT_REQUESTS || 256);
    // deployment.yaml's formula: a computing call holds 4 messages' worth, a queued one 1.
    const bound = threads * 4 * message + (inflight - threads) * message + 256 * MiB;
    const gpus = limits['nvidia.com/gpu'];
    return [
      expect(toBytes(limits.memory) >= bound, `memory limit ${limits.memory} is below ` +
        `${bound / MiB} MiB (${threads} threads, ${inflight} in flight, ${message / MiB} MiB)`),
      expect(toBytes(requests.memory) === toBytes(limits.memory), 'memory request != limit'),
      expect(toCores(limits.cpu) >= threads, `cpu limit ${limits.cpu} < ${threads} threads`),
      expect(toCores(requests.cpu) >= threads, `cpu request ${requests.cpu} < ${threads} threads`),
      variant.gpu ? expect(String(gpus) === '1', 'limits nvidia.com/gpu must be 1')
        : expect(!gpus && !requests['nvidia.com/gpu'], 'asks for a GPU'),
    ];
  });
  check(`${v}: termination grace covers the preStop sleep and the ${graceSeconds} s drain`, () => {
    const preStop = (container.lifecycle || {}).preStop || {};
    const command = (preStop.exec || {}).command || [];
    const sleep = preStop.sleep ? preStop.sleep.seconds
      : command[0] === 'sleep' ? Number(command[1]) : 0;
    const total = pod.spec.terminationGracePeriodSeconds ?? 30;
    return [
      expect(sleep > 0, 'no preStop sleep: endpoints may still send calls after SIGTERM'),
      expect(total > sleep + graceSeconds,
             `terminationGracePeriodSeconds ${total} <= preStop ${sleep} + grace ${graceSeconds}`),
    ];
  });
  check(`${v}: pod has prometheus.io scrape annotations for port ${metricsPort}`, () => {
    const annotations = pod.metadata.annotations || {};
    return [
      expect(annotations['prometheus.io/scrape'] === 'true', 'prometheus.io/scrape'),
      expect(annotations['prometheus.io/port'] === String(metricsPort), 'prometheus.io/port'),
      expect(annotations['prometheus.io/path'] === '/metrics', 'prometheus.io/path'),
    ];
  });
  check(`${v}: headless Service lists every ready pod on the gRPC port`, () => (headless ? [
    expect(headless.spec.clusterIP === 'None', `clusterIP is "${headless.spec.clusterIP}"`),
    expect(selects(headless.spec.selector, pod.metadata.labels), 'does not select the pods'),
    expect(!headless.spec.publishNotReadyAddresses, 'publishes pods that are not ready'),
    expect(hasPort(headless, 'grpc', port), 'no grpc port'),
  ] : ['missing']));
  check(`${v}: ClusterIP Service selects the pods on the gRPC and metrics ports`, () => (clusterIp
    ? [
      expect((clusterIp.spec.type || 'ClusterIP') === 'ClusterIP' &&
             clusterIp.spec.clusterIP !== 'None', 'not a ClusterIP Service'),
      expect(selects(clusterIp.spec.selector, pod.metadata.labels), 'does not select the pods'),
      expect(hasPort(clusterIp, 'grpc', port), 'no grpc port'),
      expect(hasPort(clusterIp, 'metrics', metricsPort), 'no metrics port'),
    ] : ['missing']));
  check(`${v}: HPA scales the Deployment, which leaves the count to it, from 2 pods`, () => {
    if (!hpa) return ['missing'];
    const ref = hpa.spec.scaleTargetRef;
    return [
      expect(ref.apiVersion === 'apps/v1' && ref.kind === 'Deployment' &&
             ref.name === 'attnserve', 'scaleTargetRef is not Deployment attnserve'),
      expect(hpa.spec.minReplicas >= 2, `minReplicas ${hpa.spec.minReplicas}`),
      expect(hpa.spec.maxReplicas >= hpa.spec.minReplicas, 'maxReplicas < minReplicas'),
      expect(deployment.spec.replicas === undefined,
             'Deployment sets replicas: every kubectl apply would reset what the HPA chose'),
      expect(hpa.spec.metrics.some((m) => m.type === 'Resource' && m.resource.name === 'cpu' &&
        m.resource.target.type === 'Utilization'), 'no CPU utilization metric'),
    ];
  });
  check(`${v}: PodDisruptionBudget keeps pods of the Deployment up`, () => (pdb ? [
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels), 'no pods selected'),
    expect(pdb.spec.maxUnavailable === 1 ||
      (pdb.spec.minAvailable >= 1 && hpa && pdb.spec.minAvailable < hpa.spec.minReplicas),
    'want maxUnavailable 1, or minAvailable >= 1 and below the HPA minimum'),
  ] : ['missing']));
  check(`${v}: ServiceMonitor scrapes each pod's metrics port once, as job "attnserve"`, () => {
    if (!monitor) return ['missing'];
    const services = objs.filter((o) => o.kind === 'Service' &&
      selects(monitor.spec.selector.matchLabels, o.metadata.labels));
    const endpoint = monitor.spec.endpoints[0] || {};
    // The alerts select up{job="..."}; the Operator names the job after the Service.
    const alerts = readRepo('deploy/prometheus/rules/attnserve_alerts.yml');
    const alertJob = (/up\{job="([^"]+)"\}/.exec(alerts) || [])[1];
    const only = services.length === 1 ? services[0] : undefined;
    return [
      expect(only, `selects ${services.length} Services`),
      expect(monitor.spec.endpoints.length === 1, 'one endpoint expected'),
      expect(only && hasPort(only, endpoint.port, metricsPort),
             `endpoint port "${endpoint.port}" is not the Service's port to ${metricsPort}`),
      expect((endpoint.path || '/metrics') === '/metrics', 'path'),
      expect((endpoint.scheme || 'http') === 'http', '/metrics has no TLS: scheme must be http'),
      expect(!monitor.spec.jobLabel && only && only.metadata.name === alertJob,
             `the job would not be "${alertJob}", which the alerts expect`),
    ];
  });
  check(`${v}: ${variant.gpu ? 'scheduled on GPU nodes' : 'no GPU scheduling'}`, () => {
    const spec = pod.spec;
    const tolerates = (spec.tolerations || []).some((t) => t.key === 'nvidia.com/gpu');
    if (!variant.gpu) return [expect(!tolerates, 'tolerates GPU nodes')];
    return [
      expect(Object.keys(spec.nodeSelector || {}).length || spec.affinity, 'no node selection'),
      expect(tolerates, 'no nvidia.com/gpu toleration'),
    ];
  });
  check(`${v}: ${variant.tls ? 'TLS and token files come read-only from the Secrets'
    : 'no TLS settings'}`, () => {
    const tlsKeys = Object.keys(settings).filter((key) => key in TLS_FILES);
    if (!variant.tls) return [expect(tlsKeys.length === 0, `sets ${tlsKeys}`)];
    return Object.entries(TLS_FILES).flatMap(([key, [secretName, file]]) => {
      const volume = (pod.spec.volumes || [])
        .find((vol) => vol.secret && vol.secret.secretName === secretName);
      const mount = volume && (container.volumeMounts || []).find((m) => m.name === volume.name);
      if (!mount) return [`${key}: no mount of Secret ${secretName}`];
      return [
        expect(settings[key] === `${mount.mountPath}/${file}`,
               `${key} is not ${secretName}/${file}`),
        expect(mount.readOnly === true, `${secretName} mounted writable`),
        expect(volume.secret.optional !== true, `${secretName} optional: could start without it`),
        expect(((volume.secret.defaultMode ?? 0o644) & 0o007) === 0,
               `${secretName} is world-readable`),
      ];
    });
  });
}

function checkTree() {
  check('every overlay is checked here', () => {
    const overlays = fs.readdirSync(path.join(k8sDir, 'overlays')).sort().join(' ');
    return [expect(overlays === VARIANTS.map((x) => x.name).sort().join(' '), `has ${overlays}`)];
  });
  check('base/kustomization.yaml uses every file of base/', () => {
    const base = path.join(k8sDir, 'base');
    const text = fs.readFileSync(path.join(base, 'kustomization.yaml'), 'utf8');
    const kustomization = YAML.parse(text);
    const used = [...kustomization.resources,
      ...kustomization.configMapGenerator.flatMap((generator) => generator.envs || [])];
    return fs.readdirSync(base).filter((f) => f !== 'kustomization.yaml')
      .map((f) => expect(used.includes(f), `${f} is not used`));
  });
  const files = [];
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file); else files.push(file);
  });
  walk(k8sDir);
  check('no key material under deploy/k8s', () => files.map((file) =>
    expect(!/-----BEGIN|PRIVATE KEY/.test(fs.readFileSync(file, 'utf8')),
           `${path.relative(repo, file)} holds a PEM block`)));
  check('secrets.example.yaml: the shape tls-auth reads, in no kustomization', () => {
    const example = path.join(k8sDir, 'components/tls-auth/secrets.example.yaml');
    const secrets = parseDocuments(fs.readFileSync(example, 'utf8'));
    const byName = Object.fromEntries(secrets.map((s) => [s.metadata.name, s]));
    const keys = (s) => Object.keys({ ...(s && s.data), ...(s && s.stringData) }).sort().join();
    const tls = byName['attnserve-tls'] || {};
    return [
      ...secrets.flatMap(schemaProblems),
      expect(tls.type === 'kubernetes.io/tls' && keys(tls) === 'ca.crt,tls.crt,tls.key',
             'attnserve-tls: type kubernetes.io/tls with tls.crt, tls.key, ca.crt'),
      expect(keys(byName['attnserve-auth']) === 'tokens', 'attnserve-auth: key tokens'),
      ...files.filter((f) => path.basename(f) === 'kustomization.yaml').map((f) => {
        const parsed = JSON.stringify(YAML.parse(fs.readFileSync(f, 'utf8')));  // no comments
        return expect(!parsed.includes('secrets.example'), `${path.relative(repo, f)} uses it`);
      }),
    ];
  });
  check('examples/hpa-inflight.yaml: per-pod attnserve_inflight_requests, as a patch', () => {
    const text = fs.readFileSync(path.join(k8sDir, 'examples/hpa-inflight.yaml'), 'utf8');
    const [example] = parseDocuments(text);
    const metric = example.spec.metrics[0] || { pods: { metric: {}, target: {} } };
    // Used as its comment says: a patch in an overlay of the cpu overlay.
    const dir = path.join(workDir, 'hpa-inflight-overlay');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), YAML.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [path.relative(dir, path.join(k8sDir, 'overlays/cpu'))],
      patches: [{ patch: text }],
    }));
    const hpas = parseDocuments(render(dir)).filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const metrics = readRepo('server/metrics/service_metrics.cc');
    return [
      ...schemaProblems(example),
      expect(example.spec.metrics.length === 1 && metric.type === 'Pods' &&
             metric.pods.metric.name === 'attnserve_inflight_requests' &&
             metric.pods.target.type === 'AverageValue', 'not Pods attnserve_inflight_requests'),
      expect(metrics.includes('.Name("attnserve_inflight_requests")'),
             'server/metrics/service_metrics.cc has no attnserve_inflight_requests'),
      expect(example.spec.scaleTargetRef.name === 'attnserve', 'scaleTargetRef'),
      expect(hpas.length === 1 &&
             canonical(hpas[0].spec.metrics) === canonical(example.spec.metrics),
             'as a patch it does not replace the CPU metric'),
    ];
  });
}

checkTree();
for (const variant of VARIANTS) {
  let objs;
  check(`${variant.name}: kubectl kustomize renders it`, () => {
    const text = render(path.join(k8sDir, 'overlays', variant.name));
    fs.writeFileSync(path.join(workDir, `${variant.name}.yaml`), text);  // to read on failure
    objs = parseDocuments(text);
    return [];
  });
  if (objs) checkVariant(variant, objs);
}
console.log(`\nk8s_manifests: ${results.passed} passed, ${results.failed} failed`);
process.exitCode = results.failed === 0 && results.passed > 0 ? 0 : 1;
