import type { Metadata } from "next";
import { Providers } from "@/components/Providers.tsx";
import { THEME_SCRIPT } from "@/components/theme.ts";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Ingot", template: "%s · Ingot" },
  description: "Bare-metal provisioning",
  icons: { icon: "/favicon.svg" },
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    // The theme script sets the `dark` class before hydration.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
