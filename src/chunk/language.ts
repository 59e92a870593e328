/**
 * Language detection: a path (and, for files without a telling name, the first
 * line) to a stable lowercase id. Ids are the names markdown code fences use, so
 * the formatter can print them as-is, and they are what `--lang` filters on.
 * An id, once shipped, is never renamed: it is stored in every index row.
 */

/** Every id `detectLanguage` can return, sorted; `text` means "not recognised". */
export const LANGUAGES = [
  'astro',
  'awk',
  'bat',
  'c',
  'clojure',
  'cmake',
  'cpp',
  'csharp',
  'css',
  'csv',
  'cuda',
  'd',
  'dart',
  'diff',
  'dockerfile',
  'elixir',
  'elm',
  'erlang',
  'fish',
  'fortran',
  'fsharp',
  'glsl',
  'go',
  'graphql',
  'groovy',
  'haskell',
  'hcl',
  'html',
  'ini',
  'java',
  'javascript',
  'json',
  'jsx',
  'julia',
  'kotlin',
  'latex',
  'less',
  'lua',
  'makefile',
  'markdown',
  'matlab',
  'nim',
  'nix',
  'objectivec',
  'ocaml',
  'pascal',
  'perl',
  'php',
  'powershell',
  'protobuf',
  'python',
  'r',
  'rst',
  'ruby',
  'rust',
  'sass',
  'scala',
  'scss',
  'shell',
  'solidity',
  'sql',
  'starlark',
  'svelte',
  'swift',
  'tcl',
  'terraform',
  'text',
  'toml',
  'tsx',
  'typescript',
  'verilog',
  'vhdl',
  'vim',
  'vue',
  'xml',
  'yaml',
  'zig',
] as const;

export type Language = (typeof LANGUAGES)[number];

/** Lowercased extension (without the dot) to id. */
const BY_EXTENSION: Readonly<Record<string, Language>> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  py: 'python',
  pyi: 'python',
  pyw: 'python',
  pyx: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  kts: 'kotlin',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  'c++': 'cpp',
  hh: 'cpp',
  hpp: 'cpp',
  hxx: 'cpp',
  'h++': 'cpp',
  ipp: 'cpp',
  inl: 'cpp',
  cu: 'cuda',
  cuh: 'cuda',
  cs: 'csharp',
  csx: 'csharp',
  fs: 'fsharp',
  fsi: 'fsharp',
  fsx: 'fsharp',
  // `.m` is also MATLAB; Objective-C is by far the more common in repositories.
  m: 'objectivec',
  mm: 'objectivec',
  rb: 'ruby',
  rake: 'ruby',
  gemspec: 'ruby',
  ru: 'ruby',
  erb: 'ruby',
  php: 'php',
  phtml: 'php',
  swift: 'swift',
  scala: 'scala',
  sc: 'scala',
  sbt: 'scala',
  groovy: 'groovy',
  gradle: 'groovy',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  ksh: 'shell',
  fish: 'fish',
  ps1: 'powershell',
  psm1: 'powershell',
  psd1: 'powershell',
  bat: 'bat',
  cmd: 'bat',
  sql: 'sql',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  xml: 'xml',
  xsd: 'xml',
  xsl: 'xml',
  xslt: 'xml',
  svg: 'xml',
  plist: 'xml',
  csproj: 'xml',
  fsproj: 'xml',
  vbproj: 'xml',
  props: 'xml',
  targets: 'xml',
  css: 'css',
  scss: 'scss',
  sass: 'sass',
  less: 'less',
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  mdown: 'markdown',
  mkd: 'markdown',
  rst: 'rst',
  tex: 'latex',
  sty: 'latex',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  jsonc: 'json',
  json5: 'json',
  jsonl: 'json',
  ndjson: 'json',
  geojson: 'json',
  ipynb: 'json',
  toml: 'toml',
  ini: 'ini',
  cfg: 'ini',
  properties: 'ini',
  editorconfig: 'ini',
  csv: 'csv',
  tsv: 'csv',
  dockerfile: 'dockerfile',
  containerfile: 'dockerfile',
  mk: 'makefile',
  mak: 'makefile',
  make: 'makefile',
  cmake: 'cmake',
  lua: 'lua',
  r: 'r',
  rmd: 'r',
  dart: 'dart',
  ex: 'elixir',
  exs: 'elixir',
  heex: 'elixir',
  erl: 'erlang',
  hrl: 'erlang',
  hs: 'haskell',
  lhs: 'haskell',
  ml: 'ocaml',
  mli: 'ocaml',
  clj: 'clojure',
  cljs: 'clojure',
  cljc: 'clojure',
  edn: 'clojure',
  zig: 'zig',
  nim: 'nim',
  jl: 'julia',
  pl: 'perl',
  pm: 'perl',
  t: 'perl',
  vue: 'vue',
  svelte: 'svelte',
  astro: 'astro',
  proto: 'protobuf',
  graphql: 'graphql',
  gql: 'graphql',
  graphqls: 'graphql',
  tf: 'terraform',
  tfvars: 'terraform',
  hcl: 'hcl',
  nomad: 'hcl',
  sol: 'solidity',
  elm: 'elm',
  vim: 'vim',
  nix: 'nix',
  diff: 'diff',
  patch: 'diff',
  tcl: 'tcl',
  awk: 'awk',
  d: 'd',
  f: 'fortran',
  f90: 'fortran',
  f95: 'fortran',
  f03: 'fortran',
  f08: 'fortran',
  for: 'fortran',
  pas: 'pascal',
  v: 'verilog',
  sv: 'verilog',
  svh: 'verilog',
  vh: 'verilog',
  vhd: 'vhdl',
  vhdl: 'vhdl',
  glsl: 'glsl',
  vert: 'glsl',
  frag: 'glsl',
  bzl: 'starlark',
  star: 'starlark',
  txt: 'text',
  text: 'text',
};

/** Exact file names (matched case-sensitively first, then lowercased). */
const BY_NAME: Readonly<Record<string, Language>> = {
  Dockerfile: 'dockerfile',
  Containerfile: 'dockerfile',
  Makefile: 'makefile',
  GNUmakefile: 'makefile',
  makefile: 'makefile',
  Kbuild: 'makefile',
  'CMakeLists.txt': 'cmake',
  Rakefile: 'ruby',
  Gemfile: 'ruby',
  Guardfile: 'ruby',
  Podfile: 'ruby',
  Vagrantfile: 'ruby',
  Brewfile: 'ruby',
  Fastfile: 'ruby',
  Appfile: 'ruby',
  Dangerfile: 'ruby',
  Berksfile: 'ruby',
  Capfile: 'ruby',
  Thorfile: 'ruby',
  'config.ru': 'ruby',
  Jenkinsfile: 'groovy',
  Snakefile: 'python',
  SConstruct: 'python',
  SConscript: 'python',
  BUILD: 'starlark',
  'BUILD.bazel': 'starlark',
  WORKSPACE: 'starlark',
  'WORKSPACE.bazel': 'starlark',
  'MODULE.bazel': 'starlark',
  Tiltfile: 'starlark',
  Pipfile: 'toml',
  'Cargo.lock': 'toml',
  'poetry.lock': 'toml',
  '.bashrc': 'shell',
  '.bash_profile': 'shell',
  '.bash_login': 'shell',
  '.bash_logout': 'shell',
  '.bash_aliases': 'shell',
  '.profile': 'shell',
  '.zshrc': 'shell',
  '.zshenv': 'shell',
  '.zprofile': 'shell',
  '.zlogin': 'shell',
  '.zlogout': 'shell',
  '.kshrc': 'shell',
  '.envrc': 'shell',
  PKGBUILD: 'shell',
  APKBUILD: 'shell',
  '.vimrc': 'vim',
  '.gvimrc': 'vim',
  '_vimrc': 'vim',
  '.gitconfig': 'ini',
  '.gitmodules': 'ini',
  '.editorconfig': 'ini',
  '.npmrc': 'ini',
  '.pylintrc': 'ini',
  'setup.cfg': 'ini',
  '.babelrc': 'json',
  '.eslintrc': 'json',
  '.jshintrc': 'json',
  '.swcrc': 'json',
  'flake.lock': 'json',
  '.clang-format': 'yaml',
  '.clang-tidy': 'yaml',
  'go.mod': 'text',
  'go.sum': 'text',
};

/** Interpreter (as named on a `#!` line, version digits removed) to id. */
const BY_INTERPRETER: Readonly<Record<string, Language>> = {
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  ksh: 'shell',
  mksh: 'shell',
  dash: 'shell',
  ash: 'shell',
  fish: 'fish',
  python: 'python',
  pypy: 'python',
  node: 'javascript',
  nodejs: 'javascript',
  bun: 'javascript',
  deno: 'typescript',
  'ts-node': 'typescript',
  tsx: 'typescript',
  ruby: 'ruby',
  jruby: 'ruby',
  perl: 'perl',
  php: 'php',
  lua: 'lua',
  luajit: 'lua',
  rscript: 'r',
  julia: 'julia',
  swift: 'swift',
  elixir: 'elixir',
  escript: 'erlang',
  runhaskell: 'haskell',
  runghc: 'haskell',
  stack: 'haskell',
  ocaml: 'ocaml',
  scala: 'scala',
  groovy: 'groovy',
  kotlin: 'kotlin',
  kscript: 'kotlin',
  pwsh: 'powershell',
  powershell: 'powershell',
  tclsh: 'tcl',
  wish: 'tcl',
  awk: 'awk',
  gawk: 'awk',
  mawk: 'awk',
  make: 'makefile',
  dart: 'dart',
  clojure: 'clojure',
  bb: 'clojure',
};

/**
 * Common names people type for `--lang` (and fence names other tools emit) to ids.
 * Ids map to themselves; matching is case-insensitive.
 */
const ALIASES: Readonly<Record<string, Language>> = {
  ts: 'typescript',
  mts: 'typescript',
  js: 'javascript',
  node: 'javascript',
  py: 'python',
  python3: 'python',
  golang: 'go',
  rs: 'rust',
  kt: 'kotlin',
  'c++': 'cpp',
  cxx: 'cpp',
  cs: 'csharp',
  'c#': 'csharp',
  'f#': 'fsharp',
  objc: 'objectivec',
  'objective-c': 'objectivec',
  rb: 'ruby',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  ps1: 'powershell',
  batch: 'bat',
  md: 'markdown',
  yml: 'yaml',
  jsonc: 'json',
  docker: 'dockerfile',
  make: 'makefile',
  mk: 'makefile',
  hs: 'haskell',
  ex: 'elixir',
  erl: 'erlang',
  ml: 'ocaml',
  clj: 'clojure',
  proto: 'protobuf',
  gql: 'graphql',
  tf: 'terraform',
  bazel: 'starlark',
  bzl: 'starlark',
  tex: 'latex',
  txt: 'text',
  plaintext: 'text',
};

const KNOWN: ReadonlySet<string> = new Set(LANGUAGES);

function baseName(path: string): string {
  // Git paths use `/`; a worktree path on Windows may still carry `\`.
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

function byName(name: string): Language | undefined {
  const exact = BY_NAME[name] ?? BY_NAME[name.toLowerCase()];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  // Variants people create beside the canonical file: Dockerfile.dev, prod.Dockerfile, Makefile.am.
  if (lower.startsWith('dockerfile.') || lower.startsWith('containerfile.')) return 'dockerfile';
  if (lower.startsWith('makefile.') || lower.startsWith('gnumakefile.')) return 'makefile';
  if (lower.startsWith('jenkinsfile')) return 'groovy';
  return undefined;
}

function byExtension(name: string): Language | undefined {
  // A leading dot names a hidden file, not an extension: `.eslintrc` has none.
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

/**
 * The language a `#!` line names, or undefined. Handles `#!/usr/bin/env python3`,
 * `#!/usr/bin/env -S node --flag`, `#!/usr/bin/env VAR=1 ruby`, `#!/bin/bash -e`.
 */
export function languageFromShebang(firstLine: string): Language | undefined {
  const line = firstLine.startsWith('\uFEFF') ? firstLine.slice(1) : firstLine;
  if (!line.startsWith('#!')) return undefined;
  const words = line.slice(2).trim().split(/\s+/);
  let program = baseName(words[0] ?? '');
  if (program === 'env') {
    // env's own options and VAR=value assignments come before the program.
    const rest = words.slice(1).filter((w) => !w.startsWith('-') && !w.includes('='));
    program = baseName(rest[0] ?? '');
  }
  // python3, python3.12, ruby2.7, perl5: the version does not change the language.
  const name = program.toLowerCase().replace(/[\d.]+$/, '');
  return BY_INTERPRETER[name];
}

/**
 * The language of a file: by exact name (Dockerfile, Makefile, .bashrc…), then by
 * extension, then — only when neither is known — by the `#!` line, else `text`.
 * The name wins over the shebang because an extension is a deliberate choice and
 * a shebang is sometimes a leftover.
 */
export function detectLanguage(path: string, firstLine?: string): Language {
  const name = baseName(path);
  const found = byName(name) ?? byExtension(name);
  if (found !== undefined) return found;
  if (firstLine !== undefined) {
    const fromShebang = languageFromShebang(firstLine);
    if (fromShebang !== undefined) return fromShebang;
  }
  return 'text';
}

/**
 * The id a user's name for a language means (`ts`, `Python`, `c++`, `golang`…),
 * or undefined when it is not one gitctx knows — for validating `--lang`.
 */
export function normalizeLanguage(name: string): Language | undefined {
  const lower = name.trim().toLowerCase();
  if (KNOWN.has(lower)) return lower as Language;
  return ALIASES[lower];
}
