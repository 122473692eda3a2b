// The dashboard's own cookie, read by the server too (lib/server/session_cookie.ts) so the API and
// websockets act in the same project as the pages.

/** The project a user with several memberships acts in (set by the project switcher). */
export const PROJECT_COOKIE = "ingot_project";
