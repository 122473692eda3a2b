"use client";
// Everything client-side pages share: the query cache, the API client, live updates and the theme.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState } from "react";
import { browserClient, type IngotClient } from "@/lib/client/api.ts";
import { applySavedTheme } from "./ThemeToggle.tsx";

const ApiContext = createContext<IngotClient | null>(null);

/** The typed API client (negotiated microversion, session cookie). */
export function useApi(): IngotClient {
  return useContext(ApiContext) ?? browserClient();
}

/** Mounted once in the root layout; pages behind a login add live updates via AppShell. */
export function Providers({ children }: { children: React.ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // Live updates invalidate what changed, so cached data stays fresh without polling.
          queries: { staleTime: 30_000, refetchOnWindowFocus: true, retry: (n, err) => n < 2 && !isClientError(err) },
          mutations: { retry: false },
        },
      }),
  );
  useEffect(applySavedTheme, []);
  return (
    <QueryClientProvider client={queryClient}>
      <ApiContext.Provider value={browserClient()}>
        {children}
      </ApiContext.Provider>
    </QueryClientProvider>
  );
}

function isClientError(err: unknown): boolean {
  const status = (err as { status?: number } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}
