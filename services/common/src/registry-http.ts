// A small client for the part of the Confluent REST API the BACKWARD check needs (GET a path,
// POST a compatibility check), with one-line TransformerErrors for operators.
import { TransformerError } from './errors.js';

/**
 * Just enough of the Confluent REST API for the checks; one-line errors for operators. Every
 * request times out after 10 s. Errors: TransformerError TRF_ERR_REGISTRY_UNAVAILABLE (no answer,
 * or HTTP 5xx), TRF_ERR_REGISTRY_REJECTED (another non-2xx answer, or a body that is not JSON).
 */
export class RegistryHttp {
  private readonly base: string;
  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** GET; undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const res = await this.fetch(path, {});
    if (res.status === 404) return undefined;
    return (await this.body(res, path)) as T;
  }

  /**
   * POST /compatibility/subjects/<subject>/versions/latest. Confluent answers 200 with
   * is_compatible; some registries answer 409 with the reason instead.
   */
  async compatibility(
    subject: string,
    schema: string,
  ): Promise<{ is_compatible?: boolean; messages?: string[] }> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    const res = await this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    });
    if (res.status === 409) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      return { is_compatible: false, messages: [message] };
    }
    return (await this.body(res, path)) as { is_compatible?: boolean; messages?: string[] };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new TransformerError(
        'TRF_ERR_REGISTRY_UNAVAILABLE',
        `schema registry unreachable at ${this.base}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
        { cause: err },
      );
    }
  }

  private async body(res: Response, path: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok)
      throw new TransformerError(
        res.status >= 500 ? 'TRF_ERR_REGISTRY_UNAVAILABLE' : 'TRF_ERR_REGISTRY_REJECTED',
        `schema registry answered ${res.status} to ${path}: ${truncate(text, 300)}`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TransformerError(
        'TRF_ERR_REGISTRY_REJECTED',
        `schema registry answered non-JSON to ${path}: ${truncate(text, 300)}`,
      );
    }
  }
}

const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
