// Products: create ("New product") and change ("Edit") price, percent or flat commission, milestones,
// renewal terms, the second-tier percent, and add tiers; JV partners (rule 16) are edited beside them.
// Changes apply to sales booked from now on.
import { useState } from 'react';
import {
  CreateCommissionTierDocument,
  CreateProductDocument,
  ProductsDocument,
  SetProductJvPartnersDocument,
  UpdateProductDocument,
  type ProductsQuery,
} from '../../generated/graphql';
import { request, succeeded } from './api';
import { Dialog, Scroll } from './Dialog';
import { money } from './format';
import { usePages } from './hooks';
import { Milestones, fromDrafts, toDrafts, type MilestoneDraft } from './Milestones';
import { PayeePicker } from './PayeePicker';

type Product = ProductsQuery['products']['edges'][number]['node'];
type Milestone = { percent: string; delayDays: number };
const schedule = (list: readonly Milestone[]) => (list.length ? list.map((m) => `${m.percent}% after ${m.delayDays} days`).join(', ') : 'program default');
const commission = (c: { commissionPercent?: string | null; commissionFlat?: { amount: string; currency: string } | null }) =>
  c.commissionFlat ? money(c.commissionFlat) : `${c.commissionPercent}%`;

export function Products() {
  const list = usePages(ProductsDocument, {}, (d) => d.products);
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  const { nodes: products, error, reload } = list;
  if (list.loading && !products.length) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  return (
    <section>
      <h1>Products</h1>
      <p className="actions">
        <span className="count">{list.total} product(s)</span>
        <button type="button" onClick={() => setEditing('new')}>New product</button>
      </p>
      <Scroll label="Products">
        <table className="grid">
          <thead>
            <tr><th>Product</th><th>Price</th><th>Commission</th><th>Milestones</th><th>Renewals</th><th>Tiers</th><th>Second tier</th><th>JV partners</th><th></th></tr>
          </thead>
          <tbody>
            {products.map((p) => (
              <tr key={p.id} data-product={p.name}>
                <td>{p.name}</td>
                <td className="num">{money(p.price)}</td>
                <td className="num">{commission(p)}</td>
                <td>{schedule(p.milestones)}</td>
                <td>
                  {p.renewalMonths === null ? 'lifetime' : `${p.renewalMonths} months`}
                  {p.renewalPayments !== null && `, ${p.renewalPayments} payments`}
                </td>
                <td>{p.tiers.map((t) => `${t.name} (${commission(t)})`).join(', ') || '—'}</td>
                <td className="num">{p.secondTierCommissionPercent ? `${p.secondTierCommissionPercent}%` : '—'}</td>
                <td>{p.jvPartners.map((j) => `${j.payee.name} (${j.percent}%)`).join(', ') || '—'}</td>
                <td>
                  <button type="button" className="secondary" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {list.more && (
        <button type="button" className="secondary" disabled={list.loading} onClick={() => void list.loadMore()}>Show more products</button>
      )}
      {editing && (
        <ProductForm
          product={editing === 'new' ? null : editing}
          onClose={(changed) => {
            setEditing(null);
            if (changed) void reload();
          }}
        />
      )}
    </section>
  );
}

const blank = (v: string) => (v.trim() ? v.trim() : null);
const whole = (v: string) => (v.trim() ? Number(v) : null);

function ProductForm({ product, onClose }: { product: Product | null; onClose: (changed: boolean) => void }) {
  const [name, setName] = useState(product?.name ?? '');
  const [price, setPrice] = useState(product?.price.amount ?? '');
  const [currency, setCurrency] = useState(product?.price.currency ?? 'USD');
  const [percent, setPercent] = useState(product?.commissionPercent ?? '');
  const [flat, setFlat] = useState(product?.commissionFlat?.amount ?? '');
  const [milestones, setMilestones] = useState<MilestoneDraft[]>(toDrafts(product?.milestones ?? []));
  const [renewalMonths, setRenewalMonths] = useState(product?.renewalMonths?.toString() ?? '');
  const [renewalPayments, setRenewalPayments] = useState(product?.renewalPayments?.toString() ?? '');
  const [secondTier, setSecondTier] = useState(product?.secondTierCommissionPercent ?? '');
  const [tierName, setTierName] = useState('');
  const [tierPercent, setTierPercent] = useState('');
  const [tiers, setTiers] = useState(product?.tiers.map((t) => t.name) ?? []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(async () => {
      const cur = currency.trim().toUpperCase();
      const terms = {
        name: name.trim(),
        price: { amount: price.trim(), currency: cur },
        commissionPercent: blank(percent),
        commissionFlat: blank(flat) ? { amount: flat.trim(), currency: cur } : null,
        milestones: milestones.length ? fromDrafts(milestones) : null,
        renewalMonths: whole(renewalMonths),
        renewalPayments: whole(renewalPayments),
        secondTierCommissionPercent: blank(secondTier),
      };
      if (product) {
        const input = { productId: product.id, ...terms };
        // Only one commission kind is sent: the other is cleared by the server.
        if (terms.commissionPercent) delete (input as { commissionFlat?: unknown }).commissionFlat;
        else delete (input as { commissionPercent?: unknown }).commissionPercent;
        succeeded((await request(UpdateProductDocument, { input })).updateProduct, 'UpdateProductSuccess');
      } else {
        succeeded((await request(CreateProductDocument, { input: terms })).createProduct, 'CreateProductSuccess');
      }
      onClose(true);
    });
  const addTier = () =>
    run(async () => {
      const input = { productId: product!.id, name: tierName.trim(), commissionPercent: blank(tierPercent) };
      const tier = succeeded((await request(CreateCommissionTierDocument, { input })).createCommissionTier, 'CreateCommissionTierSuccess').tier;
      setTiers((list) => [...list, tier.name]);
      setTierName('');
      setTierPercent('');
      setChanged(true);
    });

  return (
    <Dialog title={product ? `Edit ${product.name}` : 'New product'} onClose={() => onClose(changed)}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          Name
          <input name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="row">
          <label className="field">
            Price
            <input name="price" required inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
          </label>
          <label className="field">
            Currency
            <input name="currency" required maxLength={3} size={4} disabled={product !== null} value={currency} onChange={(e) => setCurrency(e.target.value)} />
          </label>
        </div>
        <p className="hint">Commission: a percent of each sale, or a flat amount (fill one).</p>
        <div className="row">
          <label className="field">
            Commission percent
            <input name="commissionPercent" inputMode="decimal" value={percent} onChange={(e) => { setPercent(e.target.value); if (e.target.value) setFlat(''); }} />
          </label>
          <label className="field">
            Flat commission
            <input name="commissionFlat" inputMode="decimal" value={flat} onChange={(e) => { setFlat(e.target.value); if (e.target.value) setPercent(''); }} />
          </label>
        </div>
        <Milestones legend="Milestones (none: the program's default)" value={milestones} onChange={setMilestones} />
        <div className="row">
          <label className="field">
            Renewal months
            <input name="renewalMonths" type="number" min={0} value={renewalMonths} onChange={(e) => setRenewalMonths(e.target.value)} placeholder="empty: lifetime" />
          </label>
          <label className="field">
            Renewal payments
            <input name="renewalPayments" type="number" min={0} value={renewalPayments} onChange={(e) => setRenewalPayments(e.target.value)} placeholder="empty: no limit" />
          </label>
        </div>
        <label className="field">
          Second-tier percent
          <input name="secondTierCommissionPercent" inputMode="decimal" value={secondTier} onChange={(e) => setSecondTier(e.target.value)} placeholder="empty: none" />
          <span className="hint">Paid to the recruiter of the sale's affiliate, as a percent of the sale amount.</span>
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => onClose(changed)}>Cancel</button>
          <button type="submit" disabled={busy}>Save</button>
        </div>
      </form>
      {product && (
        <fieldset className="tiers">
          <legend>Tiers</legend>
          <p>{tiers.length ? tiers.join(', ') : 'No tier yet.'}</p>
          <div className="row">
            <label className="field">
              Tier name
              <input name="tierName" value={tierName} onChange={(e) => setTierName(e.target.value)} />
            </label>
            <label className="field">
              Tier commission percent
              <input name="tierPercent" inputMode="decimal" value={tierPercent} onChange={(e) => setTierPercent(e.target.value)} />
            </label>
            <button type="button" className="secondary" disabled={busy || !tierName.trim() || !tierPercent.trim()} onClick={() => void addTier()}>
              Add tier
            </button>
          </div>
        </fieldset>
      )}
      {product && <JvPartners product={product} onChange={() => setChanged(true)} />}
    </Dialog>
  );
}

type Share = { payee: { id: string; name: string }; percent: string; renewalMonths: string; renewalPayments: string };

/** The product's JV partners as one list, saved whole ("Update JV partners"; none left removes them all). */
function JvPartners({ product, onChange }: { product: Product; onChange: () => void }) {
  const [shares, setShares] = useState<Share[]>(
    product.jvPartners.map((j) => ({
      payee: j.payee, percent: j.percent, renewalMonths: j.renewalMonths?.toString() ?? '', renewalPayments: j.renewalPayments?.toString() ?? '',
    })),
  );
  const [payee, setPayee] = useState<{ id: string; name: string } | null>(null);
  const [percent, setPercent] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (i: number, change: Partial<Share>) => setShares(shares.map((s, j) => (j === i ? { ...s, ...change } : s)));
  const save = async () => {
    setBusy(true);
    try {
      const partners = shares.map((s) => ({
        payeeId: s.payee.id, percent: s.percent.trim(), renewalMonths: whole(s.renewalMonths), renewalPayments: whole(s.renewalPayments),
      }));
      succeeded((await request(SetProductJvPartnersDocument, { productId: product.id, partners })).setProductJvPartners, 'SetProductJvPartnersSuccess');
      setMessage({ ok: true, text: 'JV partners saved.' });
      onChange();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset className="tiers">
      <legend>JV partners</legend>
      {shares.length === 0 && <p>No JV partner.</p>}
      {shares.map((s, i) => (
        <div key={s.payee.id} className="row" role="group" aria-label={`JV partner ${s.payee.name}`}>
          <strong>{s.payee.name}</strong>
          <label className="field">
            Percent of each sale
            <input inputMode="decimal" value={s.percent} onChange={(e) => update(i, { percent: e.target.value })} />
          </label>
          <label className="field">
            Partner renewal months
            <input type="number" min={0} value={s.renewalMonths} placeholder="empty: lifetime" onChange={(e) => update(i, { renewalMonths: e.target.value })} />
          </label>
          <label className="field">
            Partner renewal payments
            <input type="number" min={0} value={s.renewalPayments} placeholder="empty: no limit" onChange={(e) => update(i, { renewalPayments: e.target.value })} />
          </label>
          <button type="button" className="secondary" aria-label={`Remove ${s.payee.name}`} onClick={() => setShares(shares.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <div className="row">
        <PayeePicker label="JV partner" onPick={setPayee} />
        <label className="field">
          JV partner percent
          <input inputMode="decimal" value={percent} onChange={(e) => setPercent(e.target.value)} />
        </label>
        <button
          type="button"
          className="secondary"
          disabled={!payee || !percent.trim() || shares.some((s) => s.payee.id === payee.id)}
          onClick={() => {
            setShares([...shares, { payee: payee!, percent: percent.trim(), renewalMonths: '', renewalPayments: '' }]);
            setPercent('');
          }}
        >
          Add JV partner
        </button>
      </div>
      <div>
        <button type="button" disabled={busy} onClick={() => void save()}>Update JV partners</button>
      </div>
      {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
    </fieldset>
  );
}
