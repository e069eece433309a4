/**
 * GET /api/v1/openapi.json (the bare OpenAPI document) and GET /docs, an
 * interactive Swagger UI page served from the swagger-ui-dist package's local
 * files: no CDN, and a Content-Security-Policy, for /docs only, that allows
 * the page's own scripts and styles and nothing else (API.md §8, §11).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { ModelRegistry } from '../../inference/serving/registry.js';
import { sendDocument } from '../envelope.js';
import { buildDocument } from '../openapi/document.js';
import { requestSchemas } from '../openapi/components.js';
import { route } from '../route.js';

const SWAGGER_DIR = (createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();

/** The swagger-ui-dist files the page uses (nothing else of the package is served). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>onnx-serving API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/docs.js"></script>
</body>
</html>
`;

// An external file, because the CSP allows no inline script. validatorUrl null:
// Swagger UI would otherwise send the document to validator.swagger.io.
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

/** helmet's CSP for /docs: its own assets, inline styles (Swagger UI sets style attributes), data: images. */
const docsCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'self'"],
  },
});

const text = (type: string, body: string) =>
  function sendText(_req: Request, res: Response): void {
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', 'no-cache');
    res.send(body);
  };

export interface DocsDeps {
  registry: ModelRegistry;
  version: string;
}

export function docsRouter({ registry, version }: DocsDeps): Router {
  // The schema files are read once; the models part is rebuilt per request, as models come and go.
  const bodySchemas = requestSchemas();
  const router = Router();
  route(router, '/api/v1/openapi.json', {
    GET: [(_req, res) => sendDocument(res, buildDocument(registry, version, bodySchemas))],
  });
  route(router, '/docs', { GET: [docsCsp, text('text/html; charset=utf-8', PAGE)] });
  route(router, '/docs/docs.js', { GET: [docsCsp, text('text/javascript; charset=utf-8', INITIALIZER)] });
  for (const [file, type] of Object.entries(ASSETS)) {
    route(router, `/docs/${file}`, {
      GET: [docsCsp, function asset(_req: Request, res: Response, next: NextFunction) {
        res.setHeader('Content-Type', type);
        res.sendFile(join(SWAGGER_DIR, file), { maxAge: '1d' }, (err) => err && next(err));
      }],
    });
  }
  return router;
}
