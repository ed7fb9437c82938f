// Package httpguard keeps edge's listeners answering in their surfaces' own
// words where net/http would answer for them, or not answer at all:
//
//   - Listener marks request targets with an invalid percent escape ("%zz")
//     instead of letting net/http refuse them with a plain-text 400 before
//     any handler runs; BadEscape and Malformed tell a handler about them
//     and about paths ServeMux would redirect to their clean form.
//   - ServeIdleBody bounds how long a request body may go without
//     progress, so a client that stops sending mid-body cannot hold a
//     connection (and a handler) forever, while a slow upload that keeps
//     moving is never cut off.
//
// The surfaces themselves decide what to answer: httpguard only detects.
package httpguard
