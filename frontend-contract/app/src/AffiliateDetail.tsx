// One affiliate: balances, payment methods, sales with installments, payouts (void one), a self-service token.
import { useCallback, useEffect, useState } from 'react';
import {
  AffiliateDetailDocument,
  CreateAffiliateTokenDocument,
  SetApprovalStatusDocument,
  VoidPayoutDocument,
  type AffiliateDetailQuery,
  type ApprovalStatus,
} from '../../generated/graphql';
import { loginLink, request, succeeded } from './api';
import { StatusBadge } from './AffiliatesTable';
import { Scroll } from './Dialog';
import { METHOD_LABEL, date, money } from './format';

type Affiliate = Extract<NonNullable<AffiliateDetailQuery['node']>, { name: string }>;

export function AffiliateDetail({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  const [affiliate, setAffiliate] = useState<Affiliate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const [voiding, setVoiding] = useState<string | null>(null);
  const [reason, setReason] = useState('');

  const load = useCallback(async () => {
    try {
      const data = await request(AffiliateDetailDocument, { id });
      setAffiliate(data.node && 'name' in data.node ? data.node : null);
      if (!data.node) setError('No such affiliate.');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const act = async (work: () => Promise<string | null>) => {
    try {
      setError(await work());
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const voidPayout = (payoutId: string) =>
    act(async () => {
      const p = (await request(VoidPayoutDocument, { payoutId, reason })).voidPayout;
      if (p.__typename !== 'VoidPayoutSuccess') return 'message' in p ? p.message : 'refused';
      setVoiding(null);
      setReason('');
      await load();
      return null;
    });
  const createToken = () =>
    act(async () => {
      const p = (await request(CreateAffiliateTokenDocument, { affiliateId: id })).createAffiliateToken;
      if (p.__typename !== 'CreateAffiliateTokenSuccess') return 'message' in p ? p.message : 'refused';
      setToken(p.token);
      return null;
    });

  const decide = (status: ApprovalStatus) =>
    act(async () => {
      succeeded((await request(SetApprovalStatusDocument, { affiliateId: id, status })).setApprovalStatus, 'SetApprovalStatusSuccess');
      await load();
      return null;
    });
  const copy = (text: string) =>
    act(async () => {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      return null;
    });

  if (!affiliate) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  return (
    <section>
      <p><a href="#/affiliates">← Affiliates</a></p>
      <h1>{affiliate.name}</h1>
      <p className="muted">
        {affiliate.email} · {affiliate.approvalStatus.toLowerCase()} · {affiliate.payoutMode === 'PAYPAL_INSTANT' ? 'PayPal instant payment' : 'paid by hand'} · {affiliate.salesCount} sales
      </p>
      <p className="actions">
        <StatusBadge status={affiliate.paymentStatus} reasons={affiliate.incompleteReasons.map((r) => r.message)} />
        {affiliate.approvalStatus !== 'APPROVED' && (
          <button type="button" onClick={() => void decide('APPROVED')}>Approve</button>
        )}
        {affiliate.approvalStatus !== 'DECLINED' && (
          <button type="button" className="secondary" onClick={() => void decide('DECLINED')}>Decline</button>
        )}
      </p>
      {affiliate.incompleteReasons.length > 0 && (
        <ul className="reasons">
          {affiliate.incompleteReasons.map((r) => <li key={r.reason}>{r.message}</li>)}
        </ul>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      <h2>Balances</h2>
      <Scroll label="Balances"><table className="grid compact">
        <thead>
          <tr><th>Currency</th><th>Earned</th><th>Reserve</th><th>Due</th><th>Paid</th><th>Owed</th><th>Next release</th></tr>
        </thead>
        <tbody>
          {affiliate.balances.map((b) => (
            <tr key={b.currency}>
              <td>{b.currency}</td>
              <td className="num">{money(b.earned)}</td>
              <td className="num">{money(b.reserve)}</td>
              <td className="num">{money(b.due)}</td>
              <td className="num">{money(b.paid)}</td>
              <td className="num">{money(b.owed)}</td>
              <td>{b.nextRelease ? `${money(b.nextRelease.amount)} on ${date(b.nextRelease.at)}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
      <h2>Payment methods</h2>
      <ul>
        {affiliate.paymentMethods.map((m) => (
          <li key={m.type}>{METHOD_LABEL[m.type]}: {m.summary}{m.preferred && ' (preferred)'}</li>
        ))}
        {affiliate.paymentMethods.length === 0 && <li className="muted">none on file</li>}
      </ul>
      <p>
        <button type="button" className="secondary" onClick={() => void createToken()}>Create a self-service token</button>
      </p>
      {token && (
        <div className="token" role="group" aria-label="The new self-service token">
          <p>
            Shown once: <code data-testid="affiliate-token">{token}</code>{' '}
            <button type="button" className="secondary" onClick={() => void copy(token)}>Copy</button>
            {copied && <span role="status"> Copied.</span>}
          </p>
          <p>
            Login link for {affiliate.name}: <a data-testid="login-link" href={loginLink(token)}>{loginLink(token)}</a>
          </p>
        </div>
      )}
      <h2>Payouts ({affiliate.payouts.totalCount})</h2>
      <Scroll label="Payouts"><table className="grid compact">
        <thead>
          <tr><th>Paid</th><th>Amount</th><th>Method</th><th>Reference</th><th>Status</th><th></th></tr>
        </thead>
        <tbody>
          {affiliate.payouts.edges.map(({ node: p }) => (
            <tr key={p.id} data-payout={p.id}>
              <td>{date(p.paidAt)}</td>
              <td className="num">{money(p.amount)}</td>
              <td>{p.instant ? 'PayPal instant' : p.method ? METHOD_LABEL[p.method] : '—'}</td>
              <td>{p.reference ?? ''}</td>
              <td>{p.status.toLowerCase()}</td>
              <td>
                {p.status === 'PAID' && !p.instant && (voiding === p.id ? (
                  <span className="inline-form">
                    <input aria-label="Reason" placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
                    <button type="button" disabled={!reason.trim()} onClick={() => void voidPayout(p.id)}>Confirm void</button>
                  </span>
                ) : (
                  <button type="button" className="secondary" onClick={() => setVoiding(p.id)}>Void</button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
      <h2>Sales ({affiliate.sales.totalCount})</h2>
      <Scroll label="Sales"><table className="grid compact">
        <thead>
          <tr><th>Date</th><th>Product</th><th>Amount</th><th>Commission</th><th>Status</th><th>Installments</th></tr>
        </thead>
        <tbody>
          {affiliate.sales.edges.map(({ node: s }) => (
            <tr key={s.id}>
              <td>{date(s.occurredAt)}</td>
              <td>{s.product.name}</td>
              <td className="num">{money(s.amount)}</td>
              <td className="num">{money(s.commission)}</td>
              <td>{s.status.toLowerCase().replace('_', ' ')}</td>
              <td>{s.installments.map((i) => `${money(i.amount)} ${i.state.toLowerCase()}`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
    </section>
  );
}
