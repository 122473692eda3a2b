"use client";
// The /ws/events websocket (lib/server/live.ts): each message names what changed and the matching
// queries are invalidated (refetched if on screen). After a reconnect everything is refetched, since
// changes may have been missed. A lost connection shows a banner; nothing on the page is cleared.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState } from "react";
import { queryKeys } from "@/lib/client/keys.ts";

export type LiveStatus = "connecting" | "live" | "lost" | "signed-out";

const StatusContext = createContext<LiveStatus>("connecting");

export function useLiveStatus(): LiveStatus {
  return useContext(StatusContext);
}

interface InvalidateMessage {
  type: "invalidate";
  nodes: string[] | "*";
  jobs: string[];
  conductors: boolean;
}

/** Show the banner only when the connection stays down this long (a blip is not news). */
const BANNER_DELAY_MS = 1500;

export function LiveUpdates({ children }: { children: React.ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [showBanner, setShowBanner] = useState(false);

  useEffect(() => {
    let ws: WebSocket | null = null;
    let stopped = false;
    let retryMs = 500;
    let everConnected = false;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    let bannerTimer: ReturnType<typeof setTimeout> | undefined;

    const apply = (msg: InvalidateMessage) => {
      if (msg.nodes === "*") {
        void queryClient.invalidateQueries({ queryKey: queryKeys.nodes });
        void queryClient.invalidateQueries({ queryKey: ["node"] });
      } else if (msg.nodes.length) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.nodes });
        for (const uuid of msg.nodes) void queryClient.invalidateQueries({ queryKey: queryKeys.node(uuid) });
      }
      if (msg.jobs.length) void queryClient.invalidateQueries({ queryKey: queryKeys.jobs });
      if (msg.conductors) void queryClient.invalidateQueries({ queryKey: queryKeys.conductors });
    };

    const connect = () => {
      if (stopped) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      ws = new WebSocket(`${scheme}://${window.location.host}/ws/events`);
      ws.onopen = () => {
        retryMs = 500;
      };
      ws.onmessage = (ev) => {
        let msg: { type?: string } | null = null;
        try {
          msg = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        if (msg?.type === "hello") {
          clearTimeout(bannerTimer);
          setShowBanner(false);
          setStatus("live");
          // Whatever happened while we were away: refetch it all.
          if (everConnected) void queryClient.invalidateQueries();
          everConnected = true;
        } else if (msg?.type === "invalidate") {
          apply(msg as InvalidateMessage);
        }
      };
      ws.onclose = (ev) => {
        ws = null;
        if (stopped) return;
        if (ev.code === 4401) {
          setStatus("signed-out");
          setShowBanner(true);
          return; // logging in again reloads the page
        }
        setStatus("lost");
        bannerTimer ??= setTimeout(() => setShowBanner(true), BANNER_DELAY_MS);
        reconnectTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(bannerTimer);
      ws?.close();
    };
  }, [queryClient]);

  return (
    <StatusContext.Provider value={status}>
      {children}
      {showBanner && (
        <div
          role="status"
          data-testid="live-banner"
          className="fixed inset-x-0 bottom-4 z-50 mx-auto w-fit max-w-[90vw] rounded-lg border border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-900 shadow-lg dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          {status === "signed-out" ? (
            <>Your session has ended. <a className="font-medium underline" href={`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}>Log in again</a> — this page keeps what you typed until you leave it.</>
          ) : (
            <>Live updates lost — reconnecting… What you see may be out of date; nothing you typed is lost.</>
          )}
        </div>
      )}
    </StatusContext.Provider>
  );
}
