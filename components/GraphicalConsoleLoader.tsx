"use client";
// Client-only loader for the graphical console (noVNC touches the DOM when imported).
import dynamic from "next/dynamic";

export const GraphicalConsoleLoader = dynamic(() => import("./GraphicalConsole.tsx"), {
  ssr: false,
  loading: () => <div className="h-[calc(100vh-4.5rem)] w-full bg-[#0b1020]" />,
});
