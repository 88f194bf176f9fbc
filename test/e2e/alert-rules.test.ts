/**
 * @module The shipped Prometheus rules (exporters/prometheus) checked and unit-tested by the real
 * promtool, installed by scripts/backends/prometheus.sh. Mutated copies of the rules prove that the
 * unit tests make every alert both fire and stay quiet, so a test file that checks nothing fails here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runScript } from '../helpers/backends.js';

const RULES_DIR = fileURLToPath(new URL('../../exporters/prometheus/', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';
const AMTOOL = '/usr/bin/amtool';
const TEST_FILES = ['alerts.test.yml', 'alerts-without-budgets.test.yml'];

/** Every alert alerts.yml ships; adding one means adding its unit tests too. */
const EXPECTED_ALERTS = [
  'A2ACostBudgetExceeded',
  'A2AAgentCostBudgetExceeded',
  'A2ACostBudgetNotDefined',
  'A2ACostSpike',
  'A2AExpensiveTrace',
  'A2AStepErrorRateHigh',
  'A2ACollectorDroppingSpans',
  'A2ACollectorRejectingQueueFull',
  'A2ACollectorSpoolWriteFailing',
  'A2ACollectorExportFailing',
  'A2ACollectorQueueNearlyFull',
  'A2ACollectorSpoolNearlyFull',
  'A2ACollectorDown',
];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function readRuleFile(path: string): RuleFile {
  return parseYaml(readFileSync(path, 'utf8')) as RuleFile;
}

const alertNames = (file: RuleFile): string[] => file.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert])));

/** Names of alerts whose failed cases in promtool's output expected some alert (`fired`) or none (`quiet`). */
function failedCases(output: string, expected: 'fired' | 'quiet'): Set<string> {
  const pattern = expected === 'quiet' ? /alertname: (\w+), time: [^,]+,\s*exp:\[\],/g : /alertname: (\w+), time: [^,]+,\s*exp:\[\s*0:/g;
  return new Set([...output.matchAll(pattern)].map((match) => match[1] ?? ''));
}

describe('shipped Prometheus alert rules under promtool', { timeout: 20 * 60_000 }, () => {
  const scratchDirs: string[] = [];

  /** Runs the unit tests against a copy of alerts.yml whose every alert has `mutate` applied. */
  async function testMutatedRules(mutate: (rule: Rule) => void): Promise<Run> {
    const dir = mkdtempSync(join(tmpdir(), 'a2a-alert-rules-'));
    scratchDirs.push(dir);
    const rules = readRuleFile(join(RULES_DIR, 'alerts.yml'));
    for (const rule of rules.groups.flatMap((group) => group.rules)) if (rule.alert !== undefined) mutate(rule);
    writeFileSync(join(dir, 'alerts.yml'), stringifyYaml(rules));
    for (const name of ['budgets.yml', ...TEST_FILES]) copyFileSync(join(RULES_DIR, name), join(dir, name));
    return run(PROMTOOL, ['test', 'rules', ...TEST_FILES], dir);
  }

  before(async () => {
    await runScript('prometheus.sh', ['install']);
    await runScript('alertmanager.sh', ['install']);
  });
  after(() => {
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('ships exactly the documented alerts', () => {
    assert.deepEqual(alertNames(readRuleFile(join(RULES_DIR, 'alerts.yml'))), EXPECTED_ALERTS);
  });

  it('passes promtool check rules with the expected number of rules', async () => {
    const result = await run(PROMTOOL, ['check', 'rules', 'alerts.yml', 'budgets.yml'], RULES_DIR);
    assert.equal(result.code, 0, result.output);
    // 13 alerts + 1 recording rule; 1 budget.
    assert.match(result.output, /Checking alerts\.yml\n\s+SUCCESS: 14 rules found/);
    assert.match(result.output, /Checking budgets\.yml\n\s+SUCCESS: 1 rules found/);
  });

  it('passes promtool test rules on both test files', async () => {
    const result = await run(PROMTOOL, ['test', 'rules', ...TEST_FILES], RULES_DIR);
    assert.equal(result.code, 0, result.output);
    for (const file of TEST_FILES) assert.match(result.output, new RegExp(`Unit Testing:  ${file.replace(/\./g, '\\.')}\\n\\s+SUCCESS`));
    assert.doesNotMatch(result.output, /FAILED/);
  });

  it('has a firing case for every alert: the tests fail for each one when no alert can fire', async () => {
    const result = await testMutatedRules((rule) => {
      rule.expr = 'vector(1) == 2';
    });
    assert.equal(result.code, 1, result.output);
    assert.deepEqual([...failedCases(result.output, 'fired')].sort(), [...EXPECTED_ALERTS].sort());
  });

  it('has a quiet case for every alert: the tests fail for each one when every alert always fires', async () => {
    const result = await testMutatedRules((rule) => {
      rule.expr = 'vector(1)';
      delete rule.for;
    });
    assert.equal(result.code, 1, result.output);
    assert.deepEqual([...failedCases(result.output, 'quiet')].sort(), [...EXPECTED_ALERTS].sort());
  });

  it('ships example Prometheus and Alertmanager configs that their own tools accept', async () => {
    const prometheus = await run(PROMTOOL, ['check', 'config', 'prometheus.example.yml'], RULES_DIR);
    assert.equal(prometheus.code, 0, prometheus.output);
    assert.match(prometheus.output, /SUCCESS: 2 rule files found/);
    assert.match(prometheus.output, /Checking alerts\.yml\n\s+SUCCESS: 14 rules found/);
    const alertmanager = await run(AMTOOL, ['check-config', 'alertmanager.example.yml'], RULES_DIR);
    assert.equal(alertmanager.code, 0, alertmanager.output);
    assert.match(alertmanager.output, /SUCCESS/);
    assert.match(alertmanager.output, / - 2 receivers/);
    assert.match(alertmanager.output, / - 1 inhibit rules/);
  });
});
