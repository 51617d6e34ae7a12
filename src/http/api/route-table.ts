/**
 * The API's routes as a table of our own: each API module adds its routes here, and this both registers them on an
 * express Router and records `METHOD path`, so the endpoint index (GET /api) and role enforcement read our record,
 * never express's internals (`router.stack`, `layer.rawPath`).
 */
import { Router, type RequestHandler } from 'express';
import type { RouteParameters } from 'express-serve-static-core';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute {
  method: ApiMethod;
  /** Below the table's mount point, with `:param` segments. */
  path: string;
}

type Add = <Path extends string>(path: Path, ...handlers: RequestHandler<RouteParameters<Path>>[]) => ApiRoutes;

const join = (prefix: string, path: string): string => (`${prefix}${path === '/' ? '' : path}` || '/').replace(/\/+$/, '') || '/';

export class ApiRoutes {
  /** The express router the routes are registered on (what the app mounts). */
  readonly router = Router();
  private readonly table: ApiRoute[] = [];

  readonly get: Add = this.adder('GET');
  readonly post: Add = this.adder('POST');
  readonly put: Add = this.adder('PUT');
  readonly patch: Add = this.adder('PATCH');
  readonly delete: Add = this.adder('DELETE');

  /** Middleware for every route below (no route of its own). */
  use(handler: RequestHandler): this {
    this.router.use(handler);
    return this;
  }

  /** Mounts another table at `path`; its routes join this table with the prefix. */
  mount(path: string, child: ApiRoutes): this {
    this.router.use(path, child.router);
    this.table.push(...child.routes().map((r) => ({ method: r.method, path: join(path, r.path) })));
    return this;
  }

  routes(): readonly ApiRoute[] {
    return this.table;
  }

  private adder(method: ApiMethod): Add {
    const register = this.router[method.toLowerCase() as Lowercase<ApiMethod>].bind(this.router) as (path: string, ...handlers: RequestHandler[]) => unknown;
    return (path, ...handlers) => {
      this.table.push({ method, path: join('', path) });
      register(path, ...(handlers as RequestHandler[]));
      return this;
    };
  }
}

export const apiRoutes = (): ApiRoutes => new ApiRoutes();
