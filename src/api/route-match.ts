// Matches a concrete path against a Fastify route pattern (":param", ":param(regex)", "::" for a
// literal colon, "*"). Used only to tell 405 (path exists, method does not) from 404.
//
// Why a matcher of our own (this note replaces ADR 0303): Fastify (find-my-way) answers a known path
// with an unregistered method as 404, while RFC 9110 wants 405 with `Allow`. Fastify's hasRoute and
// findRoute take route *patterns*, not a concrete request path, and find-my-way's router instance is
// not public API. So each recorded pattern becomes a RegExp (param regexes ignored) and the not-found
// handler collects the methods whose patterns match; if the request's own method is among them, a
// param regex refused the path and the answer stays 404. Routing itself stays Fastify's. A route with
// a literal colon after a param needs a param regex in Fastify (`/:env(^[a-z0-9-]+)::upgrade`),
// otherwise find-my-way treats the `:upgrade` routes as duplicates.
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

/**
 * How many literal characters a pattern has outside its parameters: of the patterns matching a path,
 * the most literal one is the resource it names (`/v1/clusters/c1:cordon` is `/:name::cordon`, not a
 * cluster named "c1:cordon"), so only its methods go into `Allow`.
 */
export function routeSpecificity(pattern: string): number {
  let n = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === ':' && pattern[i + 1] === ':') {
      n++;
      i++;
    } else if (c === ':') {
      while (i + 1 < pattern.length && /[A-Za-z0-9_]/.test(pattern[i + 1]!)) i++;
      if (pattern[i + 1] === '(') i = skipGroup(pattern, i + 1);
    } else if (c !== '*') {
      n++;
    }
  }
  return n;
}
