/**
 * Just enough of each language's lexical rules to colour comments, strings,
 * keywords and numbers. Not a grammar: where a rule is ambiguous (an apostrophe in
 * prose, `#` inside a word) it errs towards leaving text plain.
 */

export interface Syntax {
  lineComments: readonly string[];
  blockComments: readonly (readonly [open: string, close: string])[];
  /** Delimiters of strings that end at the same delimiter on the same line. */
  quotes: readonly string[];
  /** Delimiters of strings that may span lines (backticks, triple quotes); tried first. */
  multilineQuotes: readonly string[];
  /** `'` opens a one-character literal only (`'a'`, `'\n'`): Rust lifetimes, ML primes. */
  charLiterals: boolean;
  keywords: ReadonlySet<string>;
  /** Keywords match in any case (SQL, Dockerfile). */
  caseInsensitiveKeywords: boolean;
}

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(/\s+/).filter((word) => word !== ''));
}

const SLASH_COMMENTS = { lineComments: ['//'], blockComments: [['/*', '*/']] } as const;
const HASH_COMMENTS = { lineComments: ['#'], blockComments: [] } as const;
const NO_COMMENTS = { lineComments: [], blockComments: [] } as const;

const BASE: Syntax = {
  ...NO_COMMENTS,
  quotes: ['"', "'"],
  multilineQuotes: [],
  charLiterals: false,
  keywords: new Set(),
  caseInsensitiveKeywords: false,
};

function syntax(overrides: Partial<Syntax>): Syntax {
  return { ...BASE, ...overrides };
}

const JS_KEYWORDS =
  'async await break case catch class const continue debugger default delete do else enum export extends false finally for from function get if import in instanceof let new null of return set static super switch this throw true try typeof undefined var void while with yield';
const TS_KEYWORDS = `${JS_KEYWORDS} abstract any as asserts bigint boolean declare implements infer interface is keyof module namespace never number object override private protected public readonly satisfies string symbol type unique unknown`;
const C_KEYWORDS =
  'auto bool break case char const continue default do double else enum extern false float for goto if inline int long NULL register restrict return short signed sizeof static struct switch true typedef union unsigned void volatile while';
const CPP_KEYWORDS = `${C_KEYWORDS} catch class co_await co_return co_yield concept const_cast constexpr decltype delete dynamic_cast explicit friend mutable namespace new noexcept nullptr operator override private protected public reinterpret_cast requires static_cast template this throw try typename using virtual`;
const PYTHON_KEYWORDS =
  'False None True and as assert async await break case class continue def del elif else except finally for from global if import in is lambda match nonlocal not or pass raise return self try while with yield';
const GENERIC_KEYWORDS =
  'break case class const continue def do else end enum false fn for function if import in let match nil none null return self struct then this true type val var while';

const JS = syntax({ ...SLASH_COMMENTS, multilineQuotes: ['`'], keywords: words(JS_KEYWORDS) });
const TS = syntax({ ...SLASH_COMMENTS, multilineQuotes: ['`'], keywords: words(TS_KEYWORDS) });
const PYTHON = syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""', "'''"], keywords: words(PYTHON_KEYWORDS) });
const C = syntax({ ...SLASH_COMMENTS, charLiterals: true, keywords: words(C_KEYWORDS) });
const CPP = syntax({ ...SLASH_COMMENTS, charLiterals: true, keywords: words(CPP_KEYWORDS) });
const HASH_GENERIC = syntax({ ...HASH_COMMENTS, keywords: words(GENERIC_KEYWORDS) });
const SLASH_GENERIC = syntax({ ...SLASH_COMMENTS, keywords: words(GENERIC_KEYWORDS) });
// Markup: quotes are apostrophes in prose far more often than strings.
const MARKUP = syntax({ lineComments: [], blockComments: [['<!--', '-->']], quotes: [] });

const BY_LANGUAGE: Readonly<Record<string, Syntax>> = {
  javascript: JS,
  jsx: JS,
  typescript: TS,
  tsx: TS,
  astro: TS,
  python: PYTHON,
  starlark: PYTHON,
  c: C,
  cuda: CPP,
  cpp: CPP,
  objectivec: C,
  glsl: C,
  go: syntax({
    ...SLASH_COMMENTS,
    multilineQuotes: ['`'],
    charLiterals: true,
    keywords: words(
      'break case chan const continue default defer else fallthrough false for func go goto if import interface iota map nil package range return select struct switch true type var',
    ),
  }),
  rust: syntax({
    ...SLASH_COMMENTS,
    quotes: ['"'],
    charLiterals: true,
    keywords: words(
      'as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while',
    ),
  }),
  java: syntax({
    ...SLASH_COMMENTS,
    multilineQuotes: ['"""'],
    charLiterals: true,
    keywords: words(
      'abstract assert boolean break byte case catch char class const continue default do double else enum extends false final finally float for goto if implements import instanceof int interface long native new null package permits private protected public record return sealed short static strictfp super switch synchronized this throw throws transient true try var void volatile while yield',
    ),
  }),
  csharp: syntax({
    ...SLASH_COMMENTS,
    charLiterals: true,
    keywords: words(
      'abstract as async await base bool break byte case catch char checked class const continue decimal default delegate do double else enum event explicit extern false finally fixed float for foreach get goto if implicit in init int interface internal is lock long namespace new null object operator out override params private protected public readonly record ref return sbyte sealed set short sizeof stackalloc static string struct switch this throw true try typeof uint ulong unchecked unsafe ushort using var virtual void volatile while',
    ),
  }),
  kotlin: syntax({
    ...SLASH_COMMENTS,
    multilineQuotes: ['"""'],
    charLiterals: true,
    keywords: words(
      'abstract as break by catch class companion constructor continue data do else enum false finally for fun get if import in init interface internal is lateinit null object open override package private protected public return sealed set super suspend this throw true try typealias val var when where while',
    ),
  }),
  swift: syntax({
    ...SLASH_COMMENTS,
    quotes: ['"'],
    multilineQuotes: ['"""'],
    keywords: words(
      'any as associatedtype async await break case catch class continue default defer deinit do else enum extension false fileprivate for func guard if import in init inout internal is let nil open operator private protocol public repeat rethrows return self Self some static struct subscript super switch throw throws true try typealias var where while',
    ),
  }),
  scala: syntax({ ...SLASH_COMMENTS, multilineQuotes: ['"""'], charLiterals: true, keywords: words(`${GENERIC_KEYWORDS} object trait extends with override implicit given using lazy sealed case yield new`) }),
  dart: syntax({ ...SLASH_COMMENTS, multilineQuotes: ['"""', "'''"], keywords: words(`${JS_KEYWORDS} abstract dynamic final late required void`) }),
  groovy: SLASH_GENERIC,
  solidity: syntax({ ...SLASH_COMMENTS, keywords: words(`${GENERIC_KEYWORDS} contract mapping address uint256 public private external internal view pure payable event emit modifier require returns memory storage`) }),
  zig: syntax({ lineComments: ['//'], blockComments: [], quotes: ['"'], charLiterals: true, keywords: words(`${GENERIC_KEYWORDS} pub comptime defer errdefer try catch orelse undefined unreachable usingnamespace`) }),
  d: SLASH_GENERIC,
  protobuf: syntax({ ...SLASH_COMMENTS, keywords: words('syntax package import option message enum service rpc returns repeated optional required oneof map reserved stream true false') }),
  php: syntax({
    lineComments: ['//', '#'],
    blockComments: [['/*', '*/']],
    keywords: words(
      'abstract and array as break callable case catch class clone const continue declare default do echo else elseif empty extends false final finally fn for foreach function global goto if implements include instanceof interface isset list match namespace new null or print private protected public readonly require return static switch throw trait true try unset use var while xor yield',
    ),
  }),
  ruby: syntax({
    ...HASH_COMMENTS,
    keywords: words(
      'BEGIN END alias and begin break case class def do else elsif end ensure false for if in module next nil not or redo rescue retry return self super then true undef unless until when while yield',
    ),
  }),
  elixir: syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""'], keywords: words('after alias case catch cond def defp defmodule defmacro defstruct do else end false fn for if import in nil not or quote raise receive require rescue true try unless unquote use when with') }),
  shell: syntax({
    ...HASH_COMMENTS,
    keywords: words(
      'alias break case continue declare do done elif else esac exit export fi for function if in local readonly return select shift source then time unset until while',
    ),
  }),
  fish: syntax({ ...HASH_COMMENTS, keywords: words('and begin break case continue else end for function if in not or return set switch while') }),
  powershell: syntax({
    lineComments: ['#'],
    blockComments: [['<#', '#>']],
    keywords: words('begin break catch class continue do else elseif end exit filter finally for foreach function if in param process return switch throw trap try until while'),
    caseInsensitiveKeywords: true,
  }),
  perl: syntax({ ...HASH_COMMENTS, keywords: words('my our local sub if elsif else unless while until for foreach return use package require last next redo and or not') }),
  r: syntax({ ...HASH_COMMENTS, keywords: words('if else repeat while function for in next break TRUE FALSE NULL Inf NaN NA return library') }),
  julia: syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""'], keywords: words('begin break catch const continue do else elseif end export false finally for function global if import in let local macro module quote return struct true try using while') }),
  nim: syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""'], keywords: words(`${GENERIC_KEYWORDS} proc func method iterator template macro object tuple of elif except discard`) }),
  tcl: HASH_GENERIC,
  awk: syntax({ ...HASH_COMMENTS, keywords: words('BEGIN END if else while for do break continue next exit function return print printf getline delete in') }),
  cmake: syntax({ ...HASH_COMMENTS, keywords: words('if elseif else endif foreach endforeach while endwhile function endfunction macro endmacro set return'), caseInsensitiveKeywords: true }),
  makefile: syntax({ ...HASH_COMMENTS, quotes: [], keywords: words('ifeq ifneq ifdef ifndef else endif include define endef export override') }),
  dockerfile: syntax({
    ...HASH_COMMENTS,
    keywords: words('add arg as cmd copy entrypoint env expose from healthcheck label maintainer onbuild run shell stopsignal user volume workdir'),
    caseInsensitiveKeywords: true,
  }),
  yaml: syntax({ ...HASH_COMMENTS, keywords: words('true false null yes no on off') }),
  toml: syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""', "'''"], keywords: words('true false') }),
  ini: syntax({ lineComments: [';', '#'], blockComments: [], keywords: words('true false yes no on off') }),
  hcl: syntax({ lineComments: ['#', '//'], blockComments: [['/*', '*/']], keywords: words('true false null for in if else endif endfor resource data variable output module provider locals terraform') }),
  terraform: syntax({ lineComments: ['#', '//'], blockComments: [['/*', '*/']], keywords: words('true false null for in if else endif endfor resource data variable output module provider locals terraform') }),
  nix: syntax({ lineComments: ['#'], blockComments: [['/*', '*/']], quotes: ['"'], multilineQuotes: ["''"], keywords: words('assert else if in inherit let or rec then with true false null import') }),
  graphql: syntax({ ...HASH_COMMENTS, multilineQuotes: ['"""'], keywords: words('query mutation subscription fragment on type interface union enum input scalar schema extend directive implements true false null') }),
  sql: syntax({
    lineComments: ['--'],
    blockComments: [['/*', '*/']],
    keywords: words(
      'add all alter and as asc begin between by case check column commit constraint create default delete desc distinct drop else end exists false foreign from full group having if in index inner insert into is join key left like limit not null offset on or order outer primary references returning right rollback select set table then transaction true union unique update using values view when where with',
    ),
    caseInsensitiveKeywords: true,
  }),
  lua: syntax({
    lineComments: ['--'],
    blockComments: [['--[[', ']]']],
    multilineQuotes: [],
    keywords: words('and break do else elseif end false for function goto if in local nil not or repeat return then true until while'),
  }),
  haskell: syntax({
    lineComments: ['--'],
    blockComments: [['{-', '-}']],
    quotes: ['"'],
    charLiterals: true,
    keywords: words('case class data deriving do else if import in infix infixl infixr instance let module newtype of then type where'),
  }),
  elm: syntax({
    lineComments: ['--'],
    blockComments: [['{-', '-}']],
    quotes: ['"'],
    multilineQuotes: ['"""'],
    charLiterals: true,
    keywords: words('alias as case else exposing if import in let module of port then type'),
  }),
  vhdl: syntax({ lineComments: ['--'], blockComments: [], quotes: ['"'], keywords: words('architecture begin end entity is port signal process if then else elsif case when others of in out library use'), caseInsensitiveKeywords: true }),
  ocaml: syntax({ lineComments: [], blockComments: [['(*', '*)']], quotes: ['"'], charLiterals: true, keywords: words('and as begin class do done else end exception false fun function if in include let match method module mutable of open rec sig struct then to true try type val when while with') }),
  fsharp: syntax({ lineComments: ['//'], blockComments: [['(*', '*)']], quotes: ['"'], multilineQuotes: ['"""'], charLiterals: true, keywords: words('let mutable if then else elif match with fun function type module open rec in do for while yield return true false null member interface') }),
  pascal: syntax({ lineComments: ['//'], blockComments: [['{', '}'], ['(*', '*)']], quotes: ["'"], keywords: words('begin end if then else while do for to downto repeat until case of procedure function var const type record program unit uses interface implementation nil true false'), caseInsensitiveKeywords: true }),
  verilog: syntax({ ...SLASH_COMMENTS, quotes: ['"'], keywords: words('module endmodule input output inout wire reg always assign begin end if else case endcase posedge negedge parameter localparam initial') }),
  erlang: syntax({ lineComments: ['%'], blockComments: [], quotes: ['"'], keywords: words('after begin case catch end fun if of receive try when') }),
  latex: syntax({ lineComments: ['%'], blockComments: [], quotes: [] }),
  matlab: syntax({ lineComments: ['%'], blockComments: [['%{', '%}']], quotes: ['"'], keywords: words('break case catch continue else elseif end for function if otherwise return switch try while') }),
  clojure: syntax({ lineComments: [';'], blockComments: [], quotes: ['"'], keywords: words('def defn defmacro fn let if do loop recur when cond ns require nil true false') }),
  json: syntax({ quotes: ['"'], keywords: words('true false null') }),
  css: syntax({ lineComments: [], blockComments: [['/*', '*/']] }),
  scss: syntax({ ...SLASH_COMMENTS }),
  sass: syntax({ ...SLASH_COMMENTS }),
  less: syntax({ ...SLASH_COMMENTS }),
  html: MARKUP,
  xml: MARKUP,
  vue: MARKUP,
  svelte: MARKUP,
  markdown: MARKUP,
};

// Prose and data where colour would mislead more than help.
const PLAIN_LANGUAGES = new Set(['text', 'csv', 'rst', 'diff', 'bat', 'vim']);

/** The rules for a language id, or undefined to leave the code uncoloured. */
export function syntaxFor(language: string): Syntax | undefined {
  if (PLAIN_LANGUAGES.has(language)) return undefined;
  // An id this table does not know yet (src/chunk may add some): C-style comments
  // are the likeliest guess and the keyword set is neutral.
  return BY_LANGUAGE[language] ?? SLASH_GENERIC;
}
