import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import '@mantine/core/styles.css';
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { App } from './App';

// autoContrast picks black or white text on every filled colour, and shade 8 keeps links and
// primary buttons above WCAG AA contrast on white.
const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8, autoContrast: true, luminanceThreshold: 0.35, defaultRadius: 'sm' });

const queries = new QueryClient({
  defaultOptions: { queries: { retry: (n, err) => n < 1 && !(err instanceof Error && 'status' in err), refetchOnWindowFocus: false, staleTime: 5_000 } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queries}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
