// Package linkedin stands in for LinkedIn's OAuth 2.0 / OpenID Connect
// endpoints ("Sign In with LinkedIn using OpenID Connect",
// https://learn.microsoft.com/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2),
// the three calls the JobMatch API's LinkedIn import makes, served under
// /_edge/linkedin/ with LinkedIn's own paths after that prefix:
//
//	GET  /_edge/linkedin/oauth/v2/authorization   (www.linkedin.com/oauth/v2/authorization)
//	POST /_edge/linkedin/oauth/v2/accessToken     (www.linkedin.com/oauth/v2/accessToken)
//	GET  /_edge/linkedin/v2/userinfo              (api.linkedin.com/v2/userinfo)
//
// The authorization endpoint checks client_id, redirect_uri, response_type,
// state and scope, then approves at once as a demo member and answers 302 to
// redirect_uri?code=…&state=…, as LinkedIn does for a member who is signed in
// and has already granted the app. With prompt=consent it shows an HTML page
// with Allow and Cancel instead (Cancel redirects with
// error=user_cancelled_authorize, as LinkedIn does). The token endpoint takes
// the form LinkedIn takes (grant_type=authorization_code, code, client_id,
// client_secret, redirect_uri); codes are single-use and expire after 30
// minutes by the injected clock. The userinfo endpoint answers the OpenID
// userinfo claims in the shape LinkedIn really sends (locale is an object
// {"country","language"}, not the string its documentation shows).
//
// Errors use LinkedIn's shapes: {"error","error_description"} from the
// OAuth endpoints, {"status","serviceErrorCode","code","message"} from
// api.linkedin.com.
//
// Differences from LinkedIn:
//   - There is one app (the configuration's LINKEDIN_CLIENT_ID and
//     LINKEDIN_CLIENT_SECRET) and no member sign-in: every authorization is
//     granted as the demo member. login_hint=<email> (an OpenID parameter
//     LinkedIn ignores) picks another demo member with that email and a sub
//     derived from it, so several local accounts can link distinct members.
//   - The registered redirect URLs are LINKEDIN_REDIRECT_URI when set;
//     without it any absolute http(s) URL is accepted.
//   - No id_token is issued, there are no refresh tokens, PKCE or token
//     introspection, and the only API is userinfo.
//   - Codes and tokens live in memory: a restart forgets them (a code lives
//     30 minutes anyway; a token then answers 401 as a revoked one would).
//   - The member's picture is an SVG served by the stand-in at
//     /_edge/linkedin/media/<sub>.svg instead of a media.licdn.com URL.
//   - Error descriptions for cases whose real wording is unknown are the
//     stand-in's own.
package linkedin
