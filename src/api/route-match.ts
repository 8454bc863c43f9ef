// Matches a concrete path against a Fastify route pattern (":param", ":param(regex)", "::" for a
// literal colon, "*"). Used only to tell 405 (path exists, method does not) from 404.
const cache = new Map<string, RegExp>();

export function routeRegex(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === ':' && pattern[i + 1] === ':') {
      re += ':';
      i++;
    } else if (c === ':') {
      while (i + 1 < pattern.length && /[A-Za-z0-9_]/.test(pattern[i + 1]!)) i++;
      if (pattern[i + 1] === '(') i = skipGroup(pattern, i + 1);
      re += '[^/]+?';
    } else if (c === '*') {
      re += '.*';
    } else {
      re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const compiled = new RegExp(`^${re}/?$`);
  cache.set(pattern, compiled);
  return compiled;
}

function skipGroup(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return s.length - 1;
}

export function matchRoute(pattern: string, path: string): boolean {
  return routeRegex(pattern).test(path);
}
