// A payee's tax form (rule 17): the form on file (status, masked TIN) and a form to send a new one
// (W-9, W-8BEN or W-8BEN-E), which replaces it. The TIN goes to the server once and never comes back.
import { useState } from 'react';
import { SetTaxProfileDocument, type TaxClassification, type TaxFormKind, type TinType } from '../../generated/graphql';
import { request, succeeded } from './api';

type Profile = {
  kind: TaxFormKind; legalName: string; country: string; tinType?: TinType | null; tinMasked?: string | null;
  signedAt: string; validUntil?: string | null; status: string; receivedAt?: string;
};

const KIND: Record<TaxFormKind, string> = { W9: 'W-9 (US person)', W8BEN: 'W-8BEN (foreign individual)', W8BENE: 'W-8BEN-E (foreign entity)' };
const CLASSIFICATION: Record<TaxClassification, string> = {
  INDIVIDUAL_SOLE_PROPRIETOR: 'Individual or sole proprietor', C_CORPORATION: 'C corporation', S_CORPORATION: 'S corporation',
  PARTNERSHIP: 'Partnership', TRUST_ESTATE: 'Trust or estate', LLC_C: 'LLC taxed as a C corporation',
  LLC_S: 'LLC taxed as an S corporation', LLC_P: 'LLC taxed as a partnership', OTHER: 'Other',
};
const TIN: Record<TinType, string> = { SSN: 'SSN', EIN: 'EIN', ITIN: 'ITIN', FOREIGN: 'Foreign TIN' };

/** The form on file in one line: kind, name, masked TIN, status (and until when a W-8 holds). */
export function TaxProfileSummary({ profile }: { profile: Profile | null | undefined }) {
  if (!profile) return <p data-testid="tax-profile">No tax form on file.</p>;
  return (
    <p data-testid="tax-profile">
      {KIND[profile.kind]} for {profile.legalName} ({profile.country}) · TIN {profile.tinMasked ? `${profile.tinType ? TIN[profile.tinType] : ''} ${profile.tinMasked}` : 'none given'} ·
      signed {profile.signedAt}
      {profile.receivedAt && `, received ${profile.receivedAt}`} ·{' '}
      <strong className={profile.status === 'VALID' ? 'ok' : 'error'}>{profile.status === 'VALID' ? 'valid' : 'expired'}</strong>
      {profile.validUntil && ` (valid until ${profile.validUntil})`}
    </p>
  );
}

const text = (v: string) => v.trim() || null;

export function TaxFormEditor({ payeeId, onSaved }: { payeeId: string; onSaved: () => Promise<void> }) {
  const [kind, setKind] = useState<TaxFormKind>('W9');
  const [legalName, setLegalName] = useState('');
  const [businessName, setBusinessName] = useState('');
  const [classification, setClassification] = useState<TaxClassification>('INDIVIDUAL_SOLE_PROPRIETOR');
  const [country, setCountry] = useState('');
  const [tinType, setTinType] = useState<TinType | ''>('SSN');
  const [tin, setTin] = useState('');
  const [line1, setLine1] = useState('');
  const [line2, setLine2] = useState('');
  const [city, setCity] = useState('');
  const [state, setState] = useState('');
  const [postalCode, setPostalCode] = useState('');
  const [addressCountry, setAddressCountry] = useState('US');
  const [signedAt, setSignedAt] = useState(new Date().toISOString().slice(0, 10));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const w9 = kind === 'W9';

  const save = async () => {
    setBusy(true);
    try {
      const input = {
        payeeId, kind, legalName: legalName.trim(), signedAt,
        businessName: w9 ? text(businessName) : null,
        taxClassification: w9 ? classification : null,
        country: w9 ? 'US' : country.trim().toUpperCase(),
        tinType: text(tin) && tinType ? tinType : null,
        tin: text(tin),
        address: {
          line1: line1.trim(), line2: text(line2), city: city.trim(), state: text(state), postalCode: text(postalCode),
          country: addressCountry.trim().toUpperCase(),
        },
      };
      succeeded((await request(SetTaxProfileDocument, { input })).setTaxProfile, 'SetTaxProfileSuccess');
      setTin('');
      setMessage({ ok: true, text: 'Tax form saved.' });
      await onSaved();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="details"
      aria-label="Tax form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Form
        <select name="kind" value={kind} onChange={(e) => {
          const k = e.target.value as TaxFormKind;
          setKind(k);
          setTinType(k === 'W9' ? 'SSN' : 'FOREIGN');
        }}>
          {(Object.keys(KIND) as TaxFormKind[]).map((k) => <option key={k} value={k}>{KIND[k]}</option>)}
        </select>
      </label>
      <label>Legal name<input name="legalName" required maxLength={200} value={legalName} onChange={(e) => setLegalName(e.target.value)} /></label>
      {w9 ? (
        <>
          <label>Business name (if any)<input name="businessName" maxLength={200} value={businessName} onChange={(e) => setBusinessName(e.target.value)} /></label>
          <label>
            Tax classification
            <select name="taxClassification" value={classification} onChange={(e) => setClassification(e.target.value as TaxClassification)}>
              {(Object.keys(CLASSIFICATION) as TaxClassification[]).map((c) => <option key={c} value={c}>{CLASSIFICATION[c]}</option>)}
            </select>
          </label>
        </>
      ) : (
        <label>
          {kind === 'W8BEN' ? 'Country of citizenship' : 'Country of incorporation'}
          <input name="country" required maxLength={2} value={country} onChange={(e) => setCountry(e.target.value)} placeholder="e.g. DE" />
        </label>
      )}
      <div className="row">
        <label>
          TIN type
          <select name="tinType" value={tinType} onChange={(e) => setTinType(e.target.value as TinType | '')}>
            {(Object.keys(TIN) as TinType[]).map((t) => <option key={t} value={t}>{TIN[t]}</option>)}
          </select>
        </label>
        <label>
          Taxpayer identification number
          <input name="tin" required={w9} autoComplete="off" maxLength={30} value={tin} onChange={(e) => setTin(e.target.value)} />
        </label>
      </div>
      <fieldset>
        <legend>Address on the form</legend>
        <label>Street address<input name="line1" required maxLength={200} value={line1} onChange={(e) => setLine1(e.target.value)} /></label>
        <label>Apartment, suite<input name="line2" maxLength={200} value={line2} onChange={(e) => setLine2(e.target.value)} /></label>
        <label>City<input name="city" required value={city} onChange={(e) => setCity(e.target.value)} /></label>
        <label>State<input name="state" value={state} onChange={(e) => setState(e.target.value)} /></label>
        <label>Postal code<input name="postalCode" value={postalCode} onChange={(e) => setPostalCode(e.target.value)} /></label>
        <label>Address country<input name="addressCountry" required maxLength={2} value={addressCountry} onChange={(e) => setAddressCountry(e.target.value)} /></label>
      </fieldset>
      <label>Signed on<input name="signedAt" type="date" required value={signedAt} onChange={(e) => setSignedAt(e.target.value)} /></label>
      <button type="submit" disabled={busy}>Save tax form</button>
      {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
    </form>
  );
}
