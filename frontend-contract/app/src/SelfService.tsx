// The affiliate's own page (an AFFILIATE token): what is due and why not, payouts, payment details, and
// its own tax form (rule 17).
import { useCallback, useEffect, useState } from 'react';
import {
  AffiliateSelfServiceDocument,
  UpdatePaymentDetailsDocument,
  type AffiliateSelfServiceQuery,
  type PaymentMethodType,
} from '../../generated/graphql';
import { request } from './api';
import { StatusBadge } from './AffiliatesTable';
import { Scroll } from './Dialog';
import { METHOD_LABEL, date, money } from './format';
import { TaxFormEditor, TaxProfileSummary } from './TaxForm';

type Me = NonNullable<AffiliateSelfServiceQuery['me']>;

export function SelfService() {
  const [me, setMe] = useState<Me | null>(null);
  const [paypal, setPaypal] = useState('');
  const [holder, setHolder] = useState('');
  const [country, setCountry] = useState('');
  const [iban, setIban] = useState('');
  const [preferred, setPreferred] = useState<PaymentMethodType | ''>('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const load = useCallback(async () => {
    const data = await request(AffiliateSelfServiceDocument, {});
    setMe(data.me ?? null);
    setPreferred(data.me?.paymentMethods.find((m) => m.preferred)?.type ?? '');
  }, []);
  useEffect(() => void load(), [load]);

  const save = async () => {
    if (!me) return;
    try {
      const bankWire = iban.trim() ? { accountHolder: holder.trim(), country: country.trim().toUpperCase(), iban: iban.trim() } : null;
      const p = (
        await request(UpdatePaymentDetailsDocument, {
          input: { affiliateId: me.id, paypalEmail: paypal.trim() || null, bankWire, preferred: preferred || null },
        })
      ).updatePaymentDetails;
      if (p.__typename !== 'UpdatePaymentDetailsSuccess') {
        setMessage({ ok: false, text: 'message' in p ? p.message : 'refused' });
        return;
      }
      setMessage({ ok: true, text: 'Payment details saved.' });
      setPaypal('');
      setIban('');
      await load();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    }
  };

  if (!me) return <p className="muted">Loading…</p>;
  return (
    <section className="self">
      <h1>Hello, {me.name}</h1>
      <p className="muted">{me.email} · {me.approvalStatus.toLowerCase()} · {me.salesCount} sales</p>
      <p>
        <StatusBadge status={me.paymentStatus} reasons={me.incompleteReasons.map((r) => r.message)} />
      </p>
      {me.incompleteReasons.length > 0 && (
        <ul className="reasons">{me.incompleteReasons.map((r) => <li key={r.reason}>{r.message}</li>)}</ul>
      )}
      <h2>Your commission</h2>
      <Scroll label="Your commission">
      <table className="grid compact">
        <thead>
          <tr><th>Currency</th><th>On hold</th><th>Due</th><th>Paid</th><th>Owed</th><th>Next release</th></tr>
        </thead>
        <tbody>
          {me.balances.map((b) => (
            <tr key={b.currency}>
              <td>{b.currency}</td>
              <td className="num">{money(b.reserve)}</td>
              <td className="num">{money(b.due)}</td>
              <td className="num">{money(b.paid)}</td>
              <td className="num">{money(b.owed)}</td>
              <td>{b.nextRelease ? `${money(b.nextRelease.amount)} on ${date(b.nextRelease.at)}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </Scroll>
      <h2>Payment details</h2>
      <ul data-testid="methods">
        {me.paymentMethods.map((m) => (
          <li key={m.type}>{METHOD_LABEL[m.type]}: {m.summary}{m.preferred && ' (preferred)'}</li>
        ))}
        {me.paymentMethods.length === 0 && <li className="muted">none yet: add one to get paid</li>}
      </ul>
      <form
        className="details"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label>PayPal email<input name="paypalEmail" type="email" value={paypal} onChange={(e) => setPaypal(e.target.value)} /></label>
        <fieldset>
          <legend>Bank wire (IBAN)</legend>
          <label>Account holder<input name="accountHolder" value={holder} onChange={(e) => setHolder(e.target.value)} /></label>
          <label>Country<input name="country" maxLength={2} size={3} value={country} onChange={(e) => setCountry(e.target.value)} /></label>
          <label>IBAN<input name="iban" value={iban} onChange={(e) => setIban(e.target.value)} /></label>
        </fieldset>
        <label>
          Preferred
          <select name="preferred" value={preferred} onChange={(e) => setPreferred(e.target.value as PaymentMethodType | '')}>
            <option value="">(keep)</option>
            <option value="PAYPAL">PayPal</option>
            <option value="BANK_WIRE">Bank wire</option>
            <option value="CHECK">Check</option>
          </select>
        </label>
        <button type="submit">Save payment details</button>
        {message && <p className={message.ok ? 'ok' : 'error'} role="status">{message.text}</p>}
      </form>
      <h2>Tax form</h2>
      <TaxProfileSummary profile={me.taxProfile} />
      <p className="hint">{me.taxProfile ? 'Sending a new form replaces the one on file.' : 'The merchant may need it before paying you.'}</p>
      <TaxFormEditor payeeId={me.id} onSaved={load} />
      <h2>Payouts</h2>
      <ul>
        {me.payouts.edges.map(({ node: p }) => (
          <li key={p.id}>{date(p.paidAt)}: {money(p.amount)} {p.method ? `by ${METHOD_LABEL[p.method]}` : ''} ({p.status.toLowerCase()})</li>
        ))}
        {me.payouts.edges.length === 0 && <li className="muted">none yet</li>}
      </ul>
    </section>
  );
}
