'use strict';
// Replays the cases record_cases wrote with the C++ client through Node's grpc-js, a gRPC
// implementation that shares no code with gRPC core (its own HTTP/2 framing, status and
// metadata handling) and serializes with protobufjs. Each request is decoded from the
// recorded C++ bytes and encoded again by protobufjs, so the server sees JavaScript's encoding;
// each call must end with the C++ status code and message, and an OK response must decode to
// the same message as the C++ one.
// Usage: node interop_test.js --target HOST:PORT --protos PROTO_DIR --cases CASES.json
const fs = require('fs');
const util = require('util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const CALL_TIMEOUT_MS = 30000;
const SERVING = 1; // grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i + 1 < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const name of ['target', 'protos', 'cases']) {
    if (!args[name]) throw new Error(`missing --${name}`);
  }
  return args;
}

// Resolves to {code, message, response}; never rejects, since a failed call is a result here.
function unaryCall(client, path, serialize, deserialize, request) {
  return new Promise((resolve) => {
    const options = {deadline: Date.now() + CALL_TIMEOUT_MS};
    client.makeUnaryRequest(path, serialize, deserialize, request, new grpc.Metadata(), options,
        (error, response) => resolve(error ?
            {code: error.code, message: error.details, response: null} :
            {code: grpc.status.OK, message: '', response}));
  });
}

const raw = (bytes) => bytes;

async function replay(client, packageDefinition, recorded) {
  const name = `${recorded.method}/${recorded.case}`;
  const requestBytes = Buffer.from(recorded.request, 'base64');
  const service = packageDefinition[recorded.service] || {};
  // A method the protos do not declare (the UnknownMethod case) goes out as the raw bytes.
  const method = service[recorded.method] || {
    path: `/${recorded.service}/${recorded.method}`, requestSerialize: raw,
    requestDeserialize: raw, responseDeserialize: raw,
  };
  const request = method.requestDeserialize(requestBytes);
  const reencoded = method.requestSerialize(request).equals(requestBytes);
  // The response stays raw so that it can be decoded the same way as the C++ bytes.
  const got = await unaryCall(client, method.path, method.requestSerialize, raw, request);

  const problems = [];
  if (got.code !== recorded.code) problems.push(`code C++ ${recorded.code}, grpc-js ${got.code}`);
  if (got.message !== recorded.message) {
    problems.push(`message C++ ${JSON.stringify(recorded.message)}, ` +
                  `grpc-js ${JSON.stringify(got.message)}`);
  }
  let responseBytesEqual = null;
  if (got.code === grpc.status.OK && recorded.code === grpc.status.OK) {
    const expected = Buffer.from(recorded.response, 'base64');
    responseBytesEqual = got.response.equals(expected);
    // Deep strict equality: bytes fields are Buffers compared by content, int64 are strings,
    // and doubles compare with Object.is (NaN equals NaN, 0 differs from -0).
    if (!util.isDeepStrictEqual(method.responseDeserialize(got.response),
        method.responseDeserialize(expected))) {
      problems.push('response differs from the C++ one');
    }
  }
  return {name, problems, reencoded, responseBytesEqual};
}

// The ordinary generated-client path (loadPackageDefinition), as a grpc-js user would call it.
function checkHealth(packageDefinition, target) {
  const {Health} = grpc.loadPackageDefinition(packageDefinition).grpc.health.v1;
  const client = new Health(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({service: ''}, {deadline: Date.now() + CALL_TIMEOUT_MS}, (error, response) => {
      client.close();
      if (error) resolve(`health Check failed: ${error.code} ${error.details}`);
      else if (response.status !== SERVING) resolve(`health Check says ${response.status}`);
      else resolve(null);
    });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // int64 as decimal strings: exact beyond 2^53. Enums stay numbers, so a value outside the
  // enum (the UnknownDtype case sends 7) survives decode and re-encode. No defaults: decode then
  // encode writes only what was on the wire, keeping proto3 `optional` presence.
  const packageDefinition = protoLoader.loadSync(
      ['attnserve/v1/attention.proto', 'grpc/health/v1/health.proto'],
      {includeDirs: [args.protos], longs: String, defaults: false});
  const cases = JSON.parse(fs.readFileSync(args.cases, 'utf8')).cases;
  const client = new grpc.Client(args.target, grpc.credentials.createInsecure());

  const mismatches = [];
  let matched = 0;
  let reencoded = 0;
  let responses = 0;
  let responsesBytesEqual = 0;
  for (const recorded of cases) {
    const result = await replay(client, packageDefinition, recorded);
    if (result.problems.length === 0) matched++;
    else mismatches.push(`${result.name}: ${result.problems.join('; ')}`);
    if (result.reencoded) reencoded++;
    if (result.responseBytesEqual !== null) {
      responses++;
      if (result.responseBytesEqual) responsesBytesEqual++;
    }
  }
  client.close();
  const health = await checkHealth(packageDefinition, args.target);
  if (health) mismatches.push(health);

  for (const mismatch of mismatches) console.log(`MISMATCH ${mismatch}`);
  console.log(`grpc-js ${require('@grpc/grpc-js/package.json').version}: ${cases.length} cases, ` +
              `${matched} matched the C++ client; health Check ${health ? 'FAILED' : 'SERVING'}`);
  // Informational: where the encodings differ in bytes but not in meaning.
  console.log(`  protobufjs re-encoding byte-identical to C++'s: ${reencoded}/${cases.length} ` +
              `requests; OK responses byte-identical: ${responsesBytesEqual}/${responses}`);
  process.exitCode = mismatches.length === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
