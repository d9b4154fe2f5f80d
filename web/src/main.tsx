import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { SessionProvider } from './session.tsx';
import './styles.css';
import { useLanguage } from './i18n/index.ts';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

/** Picking another language renders every page again, in it (the elements are made here, anew each time). */
function Root() {
  useLanguage();
  return (
    <SessionProvider>
      <App />
    </SessionProvider>
  );
}

createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
