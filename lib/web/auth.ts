// Dashboard login: Auth.js (next-auth v5) with a username/password Credentials provider and
// JWT sessions. AUTH_SECRET comes from the environment or data/auth-secret (kept across restarts).
// The configuration is built on first use, not at import: it asks the core (webCore()), which the
// server installs before Next serves a request.
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { webCore } from "./core.ts";

let config: NextAuthConfig | null = null;

const authConfig = (): NextAuthConfig => (config ??= {
  secret: webCore().authSecret(),
  trustHost: true,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } },
      async authorize(c) {
        const username = typeof c?.username === "string" ? c.username.trim() : "";
        const password = typeof c?.password === "string" ? c.password : "";
        if (!username || !password) return null;
        const user = await webCore().callers.passwordUser(username, password);
        if (!user) return null;
        return { id: user.id, name: user.username, email: user.email };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user?.id) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (token.sub && session.user) session.user.id = token.sub;
      return session;
    },
  },
  logger: {
    error(error) {
      // A wrong password is not a server error.
      if (error.name === "CredentialsSignin" || (error as { type?: string }).type === "CredentialsSignin") return;
      console.error("[auth]", error);
    },
  },
});

export const { handlers, auth, signIn, signOut } = NextAuth(authConfig);
