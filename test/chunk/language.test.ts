import { describe, expect, it } from 'vitest';

import { LANGUAGES, detectLanguage, languageFromShebang, normalizeLanguage } from '../../src/chunk/index.js';

describe('detectLanguage', () => {
  it.each([
    ['src/index.ts', 'typescript'],
    ['src/types.d.ts', 'typescript'],
    ['lib/x.mts', 'typescript'],
    ['app/App.tsx', 'tsx'],
    ['index.js', 'javascript'],
    ['rollup.config.mjs', 'javascript'],
    ['a.cjs', 'javascript'],
    ['Button.jsx', 'jsx'],
    ['setup.py', 'python'],
    ['stubs/os.pyi', 'python'],
    ['cmd/main.go', 'go'],
    ['src/lib.rs', 'rust'],
    ['Main.java', 'java'],
    ['build.gradle.kts', 'kotlin'],
    ['App.kt', 'kotlin'],
    ['main.c', 'c'],
    ['include/x.h', 'c'],
    ['x.cpp', 'cpp'],
    ['x.cc', 'cpp'],
    ['x.hpp', 'cpp'],
    ['Program.cs', 'csharp'],
    ['View.m', 'objectivec'],
    ['app.rb', 'ruby'],
    ['tasks/db.rake', 'ruby'],
    ['index.php', 'php'],
    ['App.swift', 'swift'],
    ['Main.scala', 'scala'],
    ['build.sbt', 'scala'],
    ['build.gradle', 'groovy'],
    ['install.sh', 'shell'],
    ['x.bash', 'shell'],
    ['x.zsh', 'shell'],
    ['config.fish', 'fish'],
    ['build.ps1', 'powershell'],
    ['run.bat', 'bat'],
    ['schema.sql', 'sql'],
    ['index.html', 'html'],
    ['pom.xml', 'xml'],
    ['style.css', 'css'],
    ['style.scss', 'scss'],
    ['style.less', 'less'],
    ['README.md', 'markdown'],
    ['docs/page.mdx', 'markdown'],
    ['docs/index.rst', 'rst'],
    ['.github/workflows/ci.yml', 'yaml'],
    ['config.yaml', 'yaml'],
    ['package.json', 'json'],
    ['tsconfig.jsonc', 'json'],
    ['Cargo.toml', 'toml'],
    ['setup.cfg', 'ini'],
    ['init.lua', 'lua'],
    ['analysis.R', 'r'],
    ['analysis.r', 'r'],
    ['main.dart', 'dart'],
    ['lib/app.ex', 'elixir'],
    ['test/app_test.exs', 'elixir'],
    ['src/app.erl', 'erlang'],
    ['Main.hs', 'haskell'],
    ['main.ml', 'ocaml'],
    ['core.clj', 'clojure'],
    ['build.zig', 'zig'],
    ['App.vue', 'vue'],
    ['App.svelte', 'svelte'],
    ['api.proto', 'protobuf'],
    ['schema.graphql', 'graphql'],
    ['q.gql', 'graphql'],
    ['main.tf', 'terraform'],
    ['prod.tfvars', 'terraform'],
    ['job.nomad', 'hcl'],
    ['Token.sol', 'solidity'],
    ['default.nix', 'nix'],
    ['fix.patch', 'diff'],
    ['paper.tex', 'latex'],
    ['main.jl', 'julia'],
    ['script.pl', 'perl'],
    ['defs.bzl', 'starlark'],
    ['notes.txt', 'text'],
    // Case of the extension does not matter.
    ['LEGACY.PY', 'python'],
    ['Photo.JSON', 'json'],
  ])('%s → %s', (path, expected) => {
    expect(detectLanguage(path)).toBe(expected);
  });

  it.each([
    ['Dockerfile', 'dockerfile'],
    ['services/api/Dockerfile', 'dockerfile'],
    ['Dockerfile.dev', 'dockerfile'],
    ['prod.Dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['Makefile', 'makefile'],
    ['makefile', 'makefile'],
    ['GNUmakefile', 'makefile'],
    ['Makefile.am', 'makefile'],
    ['rules.mk', 'makefile'],
    ['CMakeLists.txt', 'cmake'],
    ['cmake/deps.cmake', 'cmake'],
    ['Rakefile', 'ruby'],
    ['Gemfile', 'ruby'],
    ['Podfile', 'ruby'],
    ['Vagrantfile', 'ruby'],
    ['config.ru', 'ruby'],
    ['Jenkinsfile', 'groovy'],
    ['ci/Jenkinsfile.release', 'groovy'],
    ['BUILD', 'starlark'],
    ['BUILD.bazel', 'starlark'],
    ['WORKSPACE', 'starlark'],
    ['Snakefile', 'python'],
    ['Pipfile', 'toml'],
    ['.bashrc', 'shell'],
    ['home/.bash_profile', 'shell'],
    ['.zshrc', 'shell'],
    ['.profile', 'shell'],
    ['.envrc', 'shell'],
    ['PKGBUILD', 'shell'],
    ['.vimrc', 'vim'],
    ['.gitconfig', 'ini'],
    ['.editorconfig', 'ini'],
    ['.babelrc', 'json'],
    ['.eslintrc', 'json'],
    ['.clang-format', 'yaml'],
    ['go.mod', 'text'],
    ['C:\\work\\repo\\Makefile', 'makefile'],
  ])('file name %s → %s', (path, expected) => {
    expect(detectLanguage(path)).toBe(expected);
  });

  it.each([
    ['#!/usr/bin/env python3', 'python'],
    ['#!/usr/bin/python', 'python'],
    ['#!/usr/bin/env python3.12 -u', 'python'],
    ['#!/usr/bin/env node', 'javascript'],
    ['#!/usr/bin/env -S node --experimental-strip-types', 'javascript'],
    ['#!/usr/bin/env -S deno run --allow-net', 'typescript'],
    ['#!/usr/bin/env tsx', 'typescript'],
    ['#!/bin/bash', 'shell'],
    ['#!/bin/bash -euo pipefail', 'shell'],
    ['#!/bin/sh', 'shell'],
    ['#! /bin/sh', 'shell'],
    ['#!/usr/bin/env zsh', 'shell'],
    ['#!/usr/bin/env fish', 'fish'],
    ['#!/usr/bin/env ruby', 'ruby'],
    ['#!/usr/bin/perl -w', 'perl'],
    ['#!/usr/bin/env php', 'php'],
    ['#!/usr/bin/env lua5.4', 'lua'],
    ['#!/usr/bin/env Rscript', 'r'],
    ['#!/usr/bin/env escript', 'erlang'],
    ['#!/usr/bin/env runhaskell', 'haskell'],
    ['#!/usr/bin/env pwsh', 'powershell'],
    ['#!/usr/bin/awk -f', 'awk'],
    ['#!/usr/bin/make -f', 'makefile'],
    ['#!/usr/bin/env LANG=C bash', 'shell'],
    ['\uFEFF#!/usr/bin/env python3', 'python'],
  ])('shebang %s → %s', (firstLine, expected) => {
    expect(detectLanguage('bin/tool', firstLine)).toBe(expected);
    expect(languageFromShebang(firstLine)).toBe(expected);
  });

  it('prefers the file name over the shebang', () => {
    expect(detectLanguage('tool.rb', '#!/usr/bin/env python3')).toBe('ruby');
    expect(detectLanguage('Makefile', '#!/bin/sh')).toBe('makefile');
  });

  it('falls back to text', () => {
    expect(detectLanguage('LICENSE')).toBe('text');
    expect(detectLanguage('bin/tool')).toBe('text');
    expect(detectLanguage('bin/tool', 'echo hi')).toBe('text');
    expect(detectLanguage('bin/tool', '#!/usr/bin/env some-unknown-thing')).toBe('text');
    expect(detectLanguage('data.unknownext')).toBe('text');
    expect(detectLanguage('trailing.')).toBe('text');
    expect(detectLanguage('')).toBe('text');
  });

  it('treats a leading dot as a hidden file, not an extension', () => {
    expect(detectLanguage('.py')).toBe('text');
    expect(detectLanguage('.gitignore')).toBe('text');
  });

  it('only ever returns a listed id, and lists 30+ languages', () => {
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(30);
    expect([...LANGUAGES].sort()).toEqual([...LANGUAGES]);
    for (const id of LANGUAGES) expect(id).toMatch(/^[a-z][a-z0-9]*$/);
    const samples = ['a.ts', 'Dockerfile', 'x.unknown', '.bashrc', 'CMakeLists.txt', 'a.tf'];
    for (const path of samples) expect(LANGUAGES).toContain(detectLanguage(path));
  });
});

describe('normalizeLanguage', () => {
  it.each([
    ['typescript', 'typescript'],
    ['TS', 'typescript'],
    ['Python', 'python'],
    ['py', 'python'],
    ['golang', 'go'],
    ['c++', 'cpp'],
    ['C#', 'csharp'],
    ['bash', 'shell'],
    ['sh', 'shell'],
    ['yml', 'yaml'],
    ['md', 'markdown'],
    ['docker', 'dockerfile'],
    ['tf', 'terraform'],
    [' rust ', 'rust'],
  ])('%s → %s', (alias, expected) => {
    expect(normalizeLanguage(alias)).toBe(expected);
  });

  it('rejects names it does not know', () => {
    expect(normalizeLanguage('klingon')).toBeUndefined();
    expect(normalizeLanguage('')).toBeUndefined();
  });
});
