import type { FastifyInstance } from 'fastify';

export interface ListedRoute {
  method: string;
  url: string;
}

/**
 * Every route of an app, read from `app.printRoutes({ commonPrefix: false })`: a tree whose lines
 * are `<indent>└── /fragment (GET, HEAD)`, each fragment continuing its parent's path.
 */
export function listRoutes(app: FastifyInstance): ListedRoute[] {
  const stack: string[] = [];
  const routes: ListedRoute[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ├└─]*?)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + match[2]!;
    stack.push(url);
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}
