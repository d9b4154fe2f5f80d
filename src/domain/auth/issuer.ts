/**
 * The issuer an authenticator app shows above a user's entry: their instance and the product
 * ("Globex (keyward)"), so two instances' entries in one app can be told apart (issue 13). The
 * setup's otpauth URI and the login's code prompt both say it, from this one place.
 * (`deps` is structural: the web UI's contract types import this file, and Deps brings node types.)
 */
export function instanceIssuer(deps: { totpIssuer: string }, instanceName: string): string {
  return `${instanceName} (${deps.totpIssuer})`;
}
