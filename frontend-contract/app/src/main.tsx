// The reference merchant app: token login, then the pay run (merchant) or the self-service page (affiliate).
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { AffiliateSelfServiceDocument } from '../../generated/graphql';
import { AffiliateDetail } from './AffiliateDetail';
import { AffiliatesTable } from './AffiliatesTable';
import { closeSubscriptions, request, session } from './api';
import { Login } from './Login';
import { ProgramSettings } from './ProgramSettings';
import { SelfService } from './SelfService';
import { Toasts } from './Toasts';
import './style.css';

type Role = 'merchant' | 'affiliate';

function useHashRoute(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#/, '') || '/affiliates';
}

/** `me` answers for an AFFILIATE token only; any other valid token is the merchant's. */
async function roleOf(): Promise<Role> {
  const data = await request(AffiliateSelfServiceDocument, {});
  return data.me ? 'affiliate' : 'merchant';
}

function App() {
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token));
  const [error, setError] = useState<string | null>(null);
  const route = useHashRoute();

  const logIn = async (token: string) => {
    session.token = token;
    setChecking(true);
    try {
      setRole(await roleOf());
      setError(null);
    } catch (e) {
      session.token = null;
      setError((e as Error).message);
    } finally {
      setChecking(false);
    }
  };
  const logOut = () => {
    session.token = null;
    closeSubscriptions();
    setRole(null);
  };
  useEffect(() => {
    if (session.token) void logIn(session.token);
  }, []);

  if (checking) return <p className="page">Checking the token…</p>;
  if (!role) return <Login onLogin={logIn} error={error} />;
  if (role === 'affiliate') {
    return (
      <Shell onLogOut={logOut} nav={null}>
        <SelfService />
      </Shell>
    );
  }
  const detail = /^\/affiliates\/(.+)$/.exec(route);
  return (
    <Shell
      onLogOut={logOut}
      nav={
        <>
          <a href="#/affiliates" className={route === '/affiliates' ? 'active' : ''}>Affiliates</a>
          <a href="#/settings" className={route === '/settings' ? 'active' : ''}>Program settings</a>
          <a href="/graphql" target="_blank" rel="noreferrer">GraphiQL</a>
        </>
      }
    >
      <Toasts />
      {detail ? <AffiliateDetail id={decodeURIComponent(detail[1])} /> : route === '/settings' ? <ProgramSettings /> : <AffiliatesTable />}
    </Shell>
  );
}

function Shell({ nav, onLogOut, children }: { nav: React.ReactNode; onLogOut: () => void; children: React.ReactNode }) {
  return (
    <>
      <header className="bar">
        <strong>Payout desk</strong>
        <nav>{nav}</nav>
        <button type="button" className="link" onClick={onLogOut}>Log out</button>
      </header>
      <main className="page">{children}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
