// Webhook endpoints (rule 19): add one (its whsec_ secret is shown once, with "Copy"), list them with
// their status, rotate the secret (the new one shown once), disable/enable/delete, send a test, and
// read an endpoint's deliveries with every
// attempt, replaying one. Delivery happens in the server's worker, so the deliveries dialog re-reads.
import { useState } from 'react';
import {
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  ReplayWebhookDeliveryDocument,
  RotateWebhookSecretDocument,
  SendTestWebhookDocument,
  SetWebhookEndpointEnabledDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
  WebhookEventTypesDocument,
  type WebhookEndpointsQuery,
  type WebhookEventTypesQuery,
} from '../../generated/graphql';
import { request, succeeded } from './api';
import { Dialog, Scroll } from './Dialog';
import { date } from './format';
import { usePages, useQuery } from './hooks';

type Endpoint = WebhookEndpointsQuery['webhookEndpoints']['edges'][number]['node'];
type EventType = WebhookEventTypesQuery['webhookEventTypes'][number];

const REASON: Record<string, string> = { MANUAL: 'disabled by hand', GONE: 'answered 410 Gone', FAILING: 'failing for 5 days' };

export function Webhooks() {
  const list = usePages(WebhookEndpointsDocument, { first: 100 }, (d) => d.webhookEndpoints);
  const types = useQuery(WebhookEventTypesDocument, {});
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [viewing, setViewing] = useState<Endpoint | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const [rotating, setRotating] = useState<Endpoint | null>(null);
  const [overlap, setOverlap] = useState('24');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const act = async (work: () => Promise<string>) => {
    try {
      setMessage({ ok: true, text: await work() });
      await list.reload();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    }
  };
  const toggle = (e: Endpoint) =>
    act(async () => {
      const enable = e.status === 'DISABLED';
      const data = await request(SetWebhookEndpointEnabledDocument, { endpointId: e.id, enable });
      const payload = enable ? data.enableWebhookEndpoint : data.disableWebhookEndpoint;
      succeeded(payload!, 'WebhookEndpointSuccess');
      return `${e.url} ${enable ? 'enabled' : 'disabled'}.`;
    });
  const sendTest = (e: Endpoint) =>
    act(async () => {
      succeeded((await request(SendTestWebhookDocument, { endpointId: e.id })).sendTestWebhook, 'WebhookDeliverySuccess');
      return `A webhook.test message is on its way to ${e.url}: see its deliveries.`;
    });
  const showSecret = (url: string, value: string) => {
    setSecret({ url, secret: value });
    setCopied(false);
  };
  const rotate = (e: Endpoint) =>
    act(async () => {
      const p = succeeded(
        (await request(RotateWebhookSecretDocument, { endpointId: e.id, overlapHours: Number(overlap) })).rotateWebhookSecret,
        'RotateWebhookSecretSuccess',
      );
      showSecret(e.url, p.secret);
      return p.endpoint.previousSecretExpiresAt
        ? `The previous secret of ${e.url} keeps signing until ${date(p.endpoint.previousSecretExpiresAt)}.`
        : `The previous secret of ${e.url} no longer signs.`;
    });
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    }
  };

  return (
    <section data-loading={list.loading}>
      <h1>Webhooks</h1>
      <p className="actions">
        <span className="count" data-testid="count">{list.loading && !list.nodes.length ? 'Loading…' : `${list.total} endpoint(s)`}</span>
        <button type="button" onClick={() => setAdding(true)}>Add endpoint</button>
      </p>
      {secret && (
        <div className="token" role="group" aria-label="The new endpoint's signing secret">
          <p>
            Signing secret for {secret.url}, shown only this once: <code data-testid="webhook-secret">{secret.secret}</code>{' '}
            <button type="button" className="secondary" onClick={() => void copy(secret.secret)}>Copy</button>
            {copied && <span role="status"> Copied.</span>}
          </p>
          <p className="hint">Verify each message's webhook-signature with it (Standard Webhooks); this page shows only its last 4 characters from now on.</p>
        </div>
      )}
      {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      {list.error && <p className="error" role="alert">{list.error}</p>}
      <Scroll label="Webhook endpoints">
        <table className="grid">
          <thead>
            <tr><th>URL</th><th>Events</th><th>Status</th><th>Secret</th><th>Created</th><th>Actions</th></tr>
          </thead>
          <tbody>
            {list.nodes.map((e) => (
              <tr key={e.id} data-endpoint={e.url}>
                <td>{e.url}{e.description && <div className="muted">{e.description}</div>}</td>
                <td>{e.eventTypes.join(', ')}</td>
                <td>
                  {e.status === 'ENABLED' ? 'enabled' : `disabled (${REASON[e.disabledReason ?? 'MANUAL']}${e.disabledAt ? `, ${date(e.disabledAt)}` : ''})`}
                </td>
                <td>
                  <code>{e.secretHint}</code>
                  {e.previousSecretExpiresAt && <div className="muted">previous one signs until {date(e.previousSecretExpiresAt)}</div>}
                </td>
                <td>{date(e.createdAt)}</td>
                <td className="buttons-cell">
                  <button type="button" className="secondary" aria-label={`Deliveries of ${e.url}`} onClick={() => setViewing(e)}>Deliveries</button>
                  {e.status === 'ENABLED' && (
                    <button type="button" className="secondary" aria-label={`Send test to ${e.url}`} onClick={() => void sendTest(e)}>Send test</button>
                  )}
                  <button type="button" className="secondary" aria-label={`${e.status === 'ENABLED' ? 'Disable' : 'Enable'} ${e.url}`} onClick={() => void toggle(e)}>
                    {e.status === 'ENABLED' ? 'Disable' : 'Enable'}
                  </button>
                  <button type="button" className="secondary" aria-label={`Rotate secret of ${e.url}`} onClick={() => setRotating(e)}>Rotate secret</button>
                  <button type="button" className="secondary" aria-label={`Delete ${e.url}`} onClick={() => setDeleting(e)}>Delete</button>
                </td>
              </tr>
            ))}
            {!list.loading && list.nodes.length === 0 && (
              <tr><td colSpan={6} className="muted">No endpoint yet: add one to receive signed event messages.</td></tr>
            )}
          </tbody>
        </table>
      </Scroll>
      {list.more && (
        <button type="button" className="secondary" disabled={list.loading} onClick={() => void list.loadMore()}>Show more endpoints</button>
      )}
      {adding && (
        <AddEndpoint
          eventTypes={types.data?.webhookEventTypes ?? []}
          onClose={(created) => {
            setAdding(false);
            if (created) {
              showSecret(created.url, created.secret);
              setMessage(null);
              void list.reload();
            }
          }}
        />
      )}
      {viewing && <Deliveries endpoint={viewing} onClose={() => setViewing(null)} />}
      {rotating && (
        <Dialog title={`Rotate secret of ${rotating.url}?`} onClose={() => setRotating(null)}>
          <form
            className="form"
            onSubmit={(ev) => {
              ev.preventDefault();
              const e = rotating;
              setRotating(null);
              void rotate(e);
            }}
          >
            <p>A new secret is made and shown once; the current one keeps signing beside it for the overlap, so the receiver can switch.</p>
            <label className="field">
              Overlap hours
              <input name="overlapHours" type="number" min={0} max={168} required value={overlap} onChange={(ev) => setOverlap(ev.target.value)} />
            </label>
            <div className="buttons">
              <button type="button" className="secondary" onClick={() => setRotating(null)}>Cancel</button>
              <button type="submit">Rotate</button>
            </div>
          </form>
        </Dialog>
      )}
      {deleting && (
        <Dialog title={`Delete ${deleting.url}?`} onClose={() => setDeleting(null)}>
          <p>The endpoint and every delivery of it are deleted; messages stop going there.</p>
          <div className="buttons">
            <button type="button" className="secondary" onClick={() => setDeleting(null)}>Cancel</button>
            <button
              type="button"
              onClick={() => {
                const e = deleting;
                setDeleting(null);
                void act(async () => {
                  succeeded((await request(DeleteWebhookEndpointDocument, { endpointId: e.id })).deleteWebhookEndpoint, 'DeleteWebhookEndpointSuccess');
                  return `${e.url} deleted.`;
                });
              }}
            >
              Delete endpoint
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function AddEndpoint({ eventTypes, onClose }: { eventTypes: EventType[]; onClose: (created: { url: string; secret: string } | null) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    try {
      const input = { url: url.trim(), eventTypes: chosen, description: description.trim() || null };
      const p = succeeded((await request(CreateWebhookEndpointDocument, { input })).createWebhookEndpoint, 'CreateWebhookEndpointSuccess');
      onClose({ url: p.endpoint.url, secret: p.secret });
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Add endpoint" onClose={() => onClose(null)}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          Endpoint URL
          <input name="url" type="url" required maxLength={2000} placeholder="https://example.com/webhooks" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label className="field">
          Description
          <input name="description" maxLength={200} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset>
          <legend>Event types (at least one)</legend>
          {eventTypes.map((t) => (
            <label key={t.name} className="inline">
              <input
                type="checkbox"
                checked={chosen.includes(t.name)}
                onChange={(e) => setChosen(e.target.checked ? [...chosen, t.name] : chosen.filter((n) => n !== t.name))}
              />
              <span><code>{t.name}</code> <span className="muted">{t.description}</span></span>
            </label>
          ))}
        </fieldset>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => onClose(null)}>Cancel</button>
          <button type="submit" disabled={busy || !chosen.length}>Create endpoint</button>
        </div>
      </form>
    </Dialog>
  );
}

function Deliveries({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const { data, error, loading, reload } = useQuery(WebhookDeliveriesDocument, { id: endpoint.id, first: 50 });
  const [failure, setFailure] = useState<string | null>(null);
  const node = data?.node && 'deliveries' in data.node ? data.node : null;
  const replay = async (deliveryId: string) => {
    try {
      succeeded((await request(ReplayWebhookDeliveryDocument, { deliveryId })).replayWebhookDelivery, 'WebhookDeliverySuccess');
      setFailure(null);
      await reload();
    } catch (e) {
      setFailure((e as Error).message);
    }
  };
  return (
    <Dialog title={`Deliveries to ${endpoint.url}`} onClose={onClose}>
      <p className="actions">
        <span className="count" data-testid="deliveries-count">{node ? `${node.deliveries.totalCount} delivery(ies)` : 'Loading…'}</span>
        <button type="button" className="secondary" disabled={loading} onClick={() => void reload()}>Refresh</button>
      </p>
      {(failure ?? error) && <p className="error" role="alert">{failure ?? error}</p>}
      {node?.deliveries.edges.map(({ node: d }) => (
        <article key={d.id} className="run" data-delivery={d.message.type} aria-label={`${d.message.type} ${d.message.messageId}`}>
          <h3>
            <code>{d.message.type}</code> · {d.status.toLowerCase()} · {d.attemptCount} attempt(s)
          </h3>
          <p className="muted">
            {d.message.messageId} · {date(d.message.createdAt)}
            {d.nextAttemptAt && ` · next attempt ${date(d.nextAttemptAt)}`}
            {d.succeededAt && ` · succeeded ${date(d.succeededAt)}`}
          </p>
          <Scroll label={`Attempts of ${d.message.messageId}`}>
            <table className="grid compact">
              <thead>
                <tr><th>#</th><th>At</th><th>Response</th><th>Took</th><th>Error or answer</th></tr>
              </thead>
              <tbody>
                {d.attempts.map((a) => (
                  <tr key={a.number}>
                    <td>{a.number}</td>
                    <td>{date(a.at)}</td>
                    <td>{a.responseCode ?? '—'}</td>
                    <td className="num">{a.durationMs} ms</td>
                    <td>{a.error ?? a.responseBodyExcerpt ?? ''}</td>
                  </tr>
                ))}
                {d.attempts.length === 0 && <tr><td colSpan={5} className="muted">No attempt yet.</td></tr>}
              </tbody>
            </table>
          </Scroll>
          <button type="button" className="secondary" aria-label={`Replay ${d.message.messageId}`} onClick={() => void replay(d.id)}>Replay</button>
        </article>
      ))}
      {node && node.deliveries.totalCount === 0 && <p className="muted">Nothing sent to this endpoint yet.</p>}
      <div className="buttons">
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}
