// Helpers of check_k8s.js: rendering with kubectl kustomize, parsing, schema validation with
// kubernetes-models, Kubernetes quantities and label selectors, and the pass/fail report.
'use strict';
const { execFileSync } = require('child_process');
const YAML = require('yaml');

// `kubectl kustomize DIR` as text; throws with kubectl's message.
function render(dir) {
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    throw new Error(`kubectl kustomize ${dir} failed: ${error.stderr || error.message}`);
  }
}

// Every document of a YAML stream as a plain object, empty ones left out.
function parseDocuments(text) {
  return YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(doc.errors.map(String).join('; '));
    return doc.toJS();
  }).filter((obj) => obj !== null);
}

// Problems the object's schema finds: kubernetes-models for Kubernetes' own kinds,
// @kubernetes-models/prometheus-operator for ServiceMonitor. A kind neither knows is a problem.
// The schemas check types, formats and required fields; they accept unknown fields.
function schemaProblems(obj) {
  const id = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const library = obj.apiVersion.startsWith('monitoring.coreos.com/')
    ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  let Model;
  try {
    Model = require(`${library}/${obj.apiVersion}`)[obj.kind];
  } catch (error) {
    Model = undefined;
  }
  if (!Model) return [`${id}: no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (error) {
    return [`${id}: ${error.message}`];
  }
}

const MiB = 1024 * 1024;
const toCores = (quantity) =>
  (String(quantity).endsWith('m') ? parseFloat(quantity) / 1000 : parseFloat(quantity));
function toBytes(quantity) {
  const m = /^([0-9.]+)([KMGT]i?)?$/.exec(String(quantity));
  if (!m) throw new Error(`cannot read quantity ${quantity}`);
  const power = { K: 1, M: 2, G: 3, T: 4 };
  const unit = m[2] ? (m[2].endsWith('i') ? 1024 : 1000) ** power[m[2][0]] : 1;
  return parseFloat(m[1]) * unit;
}

// Whether a (non-empty) matchLabels selector selects an object with these labels.
const selects = (selector, labels) =>
  !!selector && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => (labels || {})[key] === value);

// JSON with object keys sorted, to compare objects whatever order kustomize wrote them in.
const canonical = (value) => JSON.stringify(value, (key, v) =>
  (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort())
    : v));

// The value of `--flag=value` in an argument list, or undefined.
function flagValue(command, flag) {
  const given = (command || []).find((word) => word.startsWith(`--${flag}=`));
  return given === undefined ? undefined : given.slice(flag.length + 3);
}

// The report: check(name, fn) runs fn, which returns a list of problems (null entries are
// dropped); none means it passed. `expect` makes a problem unless its condition holds.
const results = { passed: 0, failed: 0 };
function check(name, fn) {
  let problems;
  try {
    problems = fn().filter(Boolean);
  } catch (error) {
    // A bug in the script shows where; a failed render or parse needs only its message.
    const bug = error instanceof TypeError || error instanceof ReferenceError;
    problems = [bug ? `threw: ${error.stack}` : String(error.message || error)];
  }
  results[problems.length === 0 ? 'passed' : 'failed'] += 1;
  console.log(`${problems.length === 0 ? 'ok    ' : 'FAILED'}  ${name}`);
  for (const problem of problems) console.log(`          - ${problem}`);
}
const expect = (condition, problem) => (condition ? null : problem);

module.exports = {
  render, parseDocuments, schemaProblems, MiB, toCores, toBytes, selects, canonical, flagValue,
  check, expect, results,
};
