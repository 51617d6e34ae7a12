<?php
// Generates test/unit/compare/data/semver-golden.json: what composer/semver says about constraints and version order,
// replayed by test/unit/compare/semver-golden.test.ts. Needs PHP and composer/semver, e.g. on Debian
// `apt-get install -y php-cli php-composer-semver`; run with `npm run golden:semver`. The suite needs neither.
//
// Constraints: hand-picked ones for every feature (hyphen ranges, stability flags, pre-release lower bounds, wildcards,
// `!=` and `*` against branches, refused forms) plus every real constraint of the composer.lock fixtures and every
// alternative of the advisory snapshots. Each is checked against a shared list of probe versions and against versions
// derived from the numbers it mentions (on, just below and just above each bound). Order: every pair of a version
// list, compared the way Semver::sort does (normalize, default branches as 9999999-dev, Comparator).

use Composer\Semver\Comparator;
use Composer\Semver\Semver;
use Composer\Semver\VersionParser;

$lib = getenv('COMPOSER_SEMVER_DIR') ?: '/usr/share/php/Composer/Semver';
require $lib . '/autoload.php';

$root = dirname(__DIR__, 2);
$out = $argv[1] ?? $root . '/test/unit/compare/data/semver-golden.json';
$parser = new VersionParser();

$crafted = [
    // hyphen ranges
    '1.0 - 2.0', '1.0.0 - 2.1.3', '1 - 2', '1.2 - 1.4.5', '1.0.0-beta1 - 2.0', '1.0 - 2.0.0-RC1', '1.0 - 2.x-dev',
    '1.0-2.0', '1.0 -2.0', 'v1.0 - v2.0', '0 - 1', '1.0 - 2.0 || 3.0 - 3.1', '>=1.0 1.2 - 1.5',
    // stability flags
    '@dev', '@stable', '@beta', '*@dev', '^1.2@beta', '~1.2@dev', '>=1.0@dev', '>=1.0@beta', '<2.0@RC', '1.0@dev',
    '1.0.0@beta', '>=1.0@stable', 'dev-main@dev', '2.x-dev@dev', '>1.0@alpha', '<=2.0@dev', '!=1.0@dev', '^1.2@Beta',
    '>=1.0-beta1@dev', '1.*@dev', '1.0@foo',
    // pre-release lower bounds
    '^2.0.0-beta1', '~2.0.0-beta1', '^2.0@beta', '^1.0.0-alpha', '^0.3.0-RC2', '~1.2-beta', '^2.0.0-dev', '~1.2.3-alpha2',
    '^1.0-beta2-dev', '>=2.0.0-beta1', '<2.0.0-beta1', '>=2.0-rc1', '<1.0-RC1', '<1.0beta1', '<1.0-', '>=1.0.0-patch1',
    // carets and tildes
    '^1.2.3', '^0.3', '^0.0.3', '^0', '^0.0', '^1', '~1', '~1.2', '~1.2.3', '~1.2.3.4', '^1.2.3.4', '^1.x-dev',
    '~2.x-dev', '^v1.2', '~>1.2', '^ 1.2', '~ 1.2', '^1.2.3+build', '^8.1 || ^9', '~8.9.0|~9.0.0',
    // wildcards
    '*', 'x', '*.*', 'v*', '1.*', '1.2.*', '1.2.x', '1.x.x', '1.2.3.*', '0.*', '0.0.*', '1.*.*', 'X', '1.X',
    // plain and comparison operators
    '1.0', '=1.0', '==1.0', '1.0.0.0', 'v1.0', '>1.0', '>=1.0', '<1.0', '<=1.0', '!=1.0', '<>1.0', '>= 1.0', '> 1.0 , < 2.0',
    '>=1.0,<2.0', '>=1.0 <2.0', '>=1.0, <2.0', '>=1.0  <2.0', '1.0,2.0', '1.0 2.0', '>=1.0,', ',>=1.0', '>=1.0,,<2.0',
    '1.0 | 2.0', '1.0 || 2.0', '1.0|||2.0', '1.0|', '|1.0', '1.0 as 2.0', '>=7.100', '<7.100', '>=1.0.0+build1',
    // branches
    'dev-main', 'dev-master', 'dev-feature', '!=dev-main', '!=dev-feature', '>=dev-main', '<dev-main', '==dev-main',
    'dev-main || >=1.0', '!=1.0', '!=1.0 !=2.0', '!=dev-main,!=dev-master', 'dev-main#abc123', '1.x-dev#abc',
    '1.x-dev', '1.2.x-dev', '2.x-dev', 'feature-dev', 'master', 'main', 'trunk', 'dev-1.x', '!=1.x-dev',
    // refused
    '', 'foo', '>=foo', '1.0.0.0.0', 'abc-', '=>1.0', '>=>1.0', '1.0 2.0 ||', '~', '^', '>=', '1..0',
];

$constraints = [];
$add = function (string $c) use (&$constraints) {
    if (!isset($constraints[$c])) $constraints[$c] = true;
};
foreach ($crafted as $c) $add($c);
foreach (glob($root . '/test/fixtures/open-social/*/composer.lock') as $file) {
    $lock = json_decode(file_get_contents($file), true);
    foreach (array_merge($lock['packages'] ?? [], $lock['packages-dev'] ?? []) as $p) {
        foreach (['require', 'conflict', 'provide', 'replace'] as $k) {
            foreach ($p[$k] ?? [] as $c) if (is_string($c)) $add($c);
        }
    }
}
$advisories = array_merge(
    [$root . '/test/fixtures/drupal-security-advisories/composer.json'],
    glob($root . '/test/fixtures/drupal-security-advisories/history/*/composer.json')
);
foreach ($advisories as $file) {
    foreach (json_decode(file_get_contents($file), true)['conflict'] as $c) {
        // Whole constraints when short; the long ones (drupal/core) as their alternatives.
        if (strlen($c) <= 80) $add($c);
        foreach (preg_split('{\s*\|\|?\s*}', $c) as $alt) $add($alt);
    }
}

$probes = [
    '0.0.1', '0.1.0', '0.3.5', '1.0.0-dev', '1.0.0-alpha1', '1.0.0-beta2', '1.0.0-RC1', '1.0.0', '1.0.0-patch1', '1.0.1',
    '1.2.0', '1.2.3', '1.9.9', '2.0.0-dev', '2.0.0-alpha1', '2.0.0-beta1', '2.0.0-beta2', '2.0.0', '2.1.0', '2.5.3',
    '3.0.0', '10.0.0', '9.5.11', '8.9.20', '7.100', 'dev-main', 'dev-master', 'dev-feature', 'dev-1.x', '1.x-dev',
    '2.x-dev', '1.2.x-dev', 'v1.2.3', '1.0', '1.0.0+build1', '99.0.0', '1.0.0.0', '1.0.0-beta2-dev', 'master',
];

// Versions on, just below and just above each number the constraint mentions.
$derive = function (string $c) use ($parser): array {
    $out = [];
    preg_match_all('{\d+(?:\.\d+){0,3}}', $c, $m);
    foreach (array_slice(array_unique($m[0]), 0, 3) as $n) {
        $parts = array_map('intval', explode('.', $n));
        $full = array_pad($parts, 3, 0);
        $last = count($parts) - 1;
        $up = $parts;
        $up[$last]++;
        $down = $parts;
        $down[$last] = max(0, $down[$last] - 1);
        foreach ([
            $n, "$n-dev", "$n-beta1", "$n-RC2", implode('.', $up), implode('.', $down), "$n.1", "$n.x-dev",
            ($full[0] + 1) . '.0.0', implode('.', $full) . '-beta1-dev',
        ] as $v) $out[$v] = true;
    }
    $valid = [];
    foreach (array_keys($out) as $v) {
        $v = (string) $v;
        try {
            $parser->normalize($v);
            $valid[] = $v;
        } catch (\Throwable $e) {
        }
    }
    return $valid;
};

$bits = function (string $c, array $versions): string {
    $s = '';
    foreach ($versions as $v) $s .= Semver::satisfies($v, $c) ? '1' : '0';
    return $s;
};

$rows = [];
foreach (array_keys($constraints) as $c) {
    $c = (string) $c;
    try {
        $parser->parseConstraints($c);
    } catch (\Throwable $e) {
        $rows[] = [$c, false];
        continue;
    }
    $derived = array_values(array_diff($derive($c), $probes));
    $rows[] = [$c, $bits($c, $probes), $derived, $bits($c, $derived)];
}

$ordered = [
    '0.0.1', '0.9.9', '1.0.0-dev', '1.0.0-alpha1', '1.0.0-alpha2', '1.0.0-beta1', '1.0.0-beta2-dev', '1.0.0-beta2',
    '1.0.0-beta10', '1.0.0-rc1', '1.0.0-RC2', '1.0.0', '1.0', 'v1.0.0', '1.0.0.0', '1.0.0+build1', '1.0.0-patch1',
    '1.0.0-pl2', '1.0.1', '1.0.10', '1.2.0', '1.2.9', '1.2.x-dev', '1.3.0', '1.x-dev', '2.0.0-b1', '2.0.0-a2',
    '2.0.0', '2.5.0', '2.x-dev', '3.0.0-alpha1', '7.59', '7.96', '7.100', '7.x-dev', '8.0.0', '10.0.0', '12.4.2',
    '12.10.0', 'dev-master', 'dev-main', 'dev-default', 'dev-trunk', 'dev-feature-a', 'dev-feature-b', 'dev-1.x',
    '9999999-dev', '1.0.0-rc1-dev', '1.0.0.1', '1.0.0.1-beta1', '0.0.0', '0.0.0-dev',
];
$real = [];
foreach (glob($root . '/test/fixtures/open-social/12.4.2/composer.lock') as $file) {
    $lock = json_decode(file_get_contents($file), true);
    foreach (array_merge($lock['packages'] ?? [], $lock['packages-dev'] ?? []) as $p) $real[$p['version']] = true;
}
// A spread of the real versions: every fourth, in the lock's order.
$i = 0;
foreach (array_keys($real) as $v) {
    if ($i++ % 4 === 0 && !in_array($v, $ordered, true)) $ordered[] = (string) $v;
}
$norm = function (string $v) use ($parser): string {
    return $parser->normalizeDefaultBranch($parser->normalize($v));
};
$matrix = [];
foreach ($ordered as $a) {
    $line = '';
    foreach ($ordered as $b) {
        $na = $norm($a);
        $nb = $norm($b);
        $line .= $na === $nb || Comparator::equalTo($na, $nb) ? '=' : (Comparator::lessThan($na, $nb) ? '<' : (Comparator::greaterThan($na, $nb) ? '>' : '?'));
    }
    $matrix[] = $line;
}

$lines = [];
$lines[] = '{';
$lines[] = '"about": ' . json_encode('Generated by scripts/golden/semver-golden.php (npm run golden:semver) from composer/semver ' . (getenv('COMPOSER_SEMVER_VERSION') ?: '3.3.2') . '. constraints: [constraint, false] when Composer refuses it, else [constraint, probe bits, derived versions, derived bits] (1 = satisfies). order: the comparison of every pair of versions (? = not comparable: two named branches).') . ',';
$lines[] = '"probes": ' . json_encode($probes, JSON_UNESCAPED_SLASHES) . ',';
$lines[] = '"constraints": [';
foreach ($rows as $k => $row) {
    $lines[] = json_encode($row, JSON_UNESCAPED_SLASHES) . ($k < count($rows) - 1 ? ',' : '');
}
$lines[] = '],';
$lines[] = '"order": {"versions": ' . json_encode($ordered, JSON_UNESCAPED_SLASHES) . ', "matrix": [';
foreach ($matrix as $k => $line) {
    $lines[] = json_encode($line) . ($k < count($matrix) - 1 ? ',' : '');
}
$lines[] = ']}';
$lines[] = '}';
file_put_contents($out, implode("\n", $lines) . "\n");
fwrite(STDERR, sprintf("%d constraints (%d refused), %d versions ordered: %s\n", count($rows), count(array_filter($rows, fn ($r) => $r[1] === false)), count($ordered), $out));
