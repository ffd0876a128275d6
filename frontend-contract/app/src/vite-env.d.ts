/// <reference types="vite/client" />
interface ImportMetaEnv {
  readonly VITE_PAYOUTS_API?: string;
}
