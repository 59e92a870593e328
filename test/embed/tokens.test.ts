import { describe, expect, it } from 'vitest';
import { codeTerms, splitIdentifier, words } from '../../src/embed/tokens.js';

describe('splitIdentifier', () => {
  it.each([
    ['parseJsonNumber', ['parse', 'json', 'number']],
    ['parse_json_number', ['parse', 'json', 'number']],
    ['PARSE_JSON_NUMBER', ['parse', 'json', 'number']],
    ['ParseJSONNumber', ['parse', 'json', 'number']],
    ['parseHTTPResponse2xx', ['parse', 'http', 'response', '2', 'xx']],
    ['HTTPServer', ['http', 'server']],
    ['getHTTP', ['get', 'http']],
    ['ucs2length', ['ucs', '2', 'length']],
    ['base64', ['base', '64']],
    ['$data', ['data']],
    ['__proto__', ['proto']],
    ['kebab-case', ['kebab', 'case']],
    ['x', ['x']],
    ['', []],
    ['___', []],
    ['ÉtatCivil', ['état', 'civil']],
    ['变量名', ['变量名']],
    ['mathɑ𝒳y', ['mathɑ𝒳y']],
  ])('%s → %j', (input, parts) => {
    expect(splitIdentifier(input)).toEqual(parts);
  });
});

describe('words', () => {
  it('finds identifiers, numbers and prose words and drops punctuation', () => {
    expect(words('if (a.b_c >= 10) { return fooBar("x-y"); } // why?')).toEqual([
      'if', 'a', 'b_c', '10', 'return', 'fooBar', 'x', 'y', 'why',
    ]);
  });
});

describe('codeTerms', () => {
  it('gives the joined form and then the parts of multi-part identifiers', () => {
    expect(codeTerms('getHTTPStatus(res)')).toEqual(['gethttpstatus', 'get', 'http', 'status', 'res']);
  });

  it('keeps repeats, since term frequency matters to ranking', () => {
    expect(codeTerms('cache cache')).toEqual(['cache', 'cache']);
  });

  it('drops terms shorter than minLength', () => {
    expect(codeTerms('for (let i = 0; i < n; i++) x_y', { minLength: 2 })).toEqual(['for', 'let', 'xy']);
    expect(codeTerms('a b', { minLength: 1 })).toEqual(['a', 'b']);
  });

  it('gives the same terms for every naming style', () => {
    // (kebab-case is not one word in code: `max-expression` is a subtraction.)
    const styles = ['maxExpression', 'max_expression', 'MAX_EXPRESSION', 'MaxExpression'];
    const terms = styles.map((s) => codeTerms(s));
    for (const t of terms) expect(t).toEqual(['maxexpression', 'max', 'expression']);
  });
});
