package api

import (
	"testing"
)

// seedBilling gives uid a subscription (an older one first), two invoices,
// two cards and a usage_limits row.
func seedBilling(t *testing.T, ta *testApp, uid, tag string) {
	t.Helper()
	genExec(t, ta, `INSERT INTO subscriptions (id, user_id, plan, status, current_period_start, current_period_end, cancel_at_period_end, created_at)
		VALUES (?, ?, 'basic', 'canceled', '2029-11-01T00:00:00.000Z', '2029-12-01T00:00:00.000Z', 0, '2029-11-01 00:00:00')`, "sub-old-"+tag, uid)
	genExec(t, ta, `INSERT INTO subscriptions (id, user_id, plan, status, current_period_start, current_period_end, cancel_at_period_end, created_at)
		VALUES (?, ?, 'premium', 'active', '2029-12-15T00:00:00.000Z', '2030-01-15T00:00:00.000Z', 1, '2029-12-15 00:00:00')`, "sub-"+tag, uid)
	genExec(t, ta, `INSERT INTO invoices (id, user_id, subscription_id, invoice_number, invoice_date, amount_due, amount_paid, status, invoice_pdf_url)
		VALUES (?, ?, ?, 'INV-0001', '2029-11-01', 9.99, 9.99, 'paid', NULL)`, "inv-1-"+tag, uid, "sub-old-"+tag)
	genExec(t, ta, `INSERT INTO invoices (id, user_id, subscription_id, invoice_number, invoice_date, amount_due, status, invoice_pdf_url)
		VALUES (?, ?, ?, NULL, '2029-12-15', 19, 'pending', 'https://pay.example/inv.pdf')`, "inv-2-"+tag, uid, "sub-"+tag)
	genExec(t, ta, `INSERT INTO payment_methods (id, user_id, type, brand, last4, exp_month, exp_year, is_default, added_at)
		VALUES (?, ?, 'card', 'visa', '4242', 12, 2031, 1, '2029-10-01 10:00:00')`, "pm-1-"+tag, uid)
	genExec(t, ta, `INSERT INTO payment_methods (id, user_id, type, brand, last4, exp_month, exp_year, is_default, added_at)
		VALUES (?, ?, 'card', NULL, NULL, NULL, NULL, 0, '2029-12-01 10:00:00')`, "pm-2-"+tag, uid)
	genExec(t, ta, `INSERT INTO usage_limits (id, user_id, ai_generations_limit, job_searches_limit, period_start, period_end)
		VALUES (?, ?, 30, NULL, '2029-12-15T00:00:00.000Z', '2030-01-15T00:00:00.000Z')`, "ul-"+tag, uid)
}

func TestBillingRoutes(t *testing.T) {
	ta := newTestApp(t)
	tokA, uidA := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tokA)
	mustProfile(t, ta, tokB)
	seedBilling(t, ta, uidA, "a")
	// Usage for A: two tracked applications, one application, one scrape.
	trackedCreate(t, ta, tokA, map[string]any{"company": "Acme", "jobTitle": "Dev"})
	trackedCreate(t, ta, tokA, map[string]any{"company": "Globex", "jobTitle": "SRE"})
	genExec(t, ta, `INSERT INTO applications (id, user_id, status) VALUES ('app-a', ?, 'draft')`, uidA)
	genExec(t, ta, `INSERT INTO job_searches (id, user_id, job_count) VALUES ('js-a', ?, 12)`, uidA)

	for _, tc := range []struct {
		path, a, b string
	}{
		{"/api/billing/subscription",
			`{"subscription":{"id":"sub-a","userId":"` + uidA + `","plan":"premium","billingCycle":"monthly","status":"active",` +
				`"currentPeriodStart":"2029-12-15T00:00:00.000Z","currentPeriodEnd":"2030-01-15T00:00:00.000Z","cancelAtPeriodEnd":true}}`,
			`{"subscription":null}`},
		{"/api/billing/invoices",
			`{"invoices":[` +
				`{"id":"inv-2-a","userId":"` + uidA + `","date":"2029-12-15","amount":19,"status":"pending","paymentMethod":{"brand":"visa","last4":"4242"},` +
				`"description":"Invoice inv-2-a","pdfUrl":"https://pay.example/inv.pdf","lineItems":[]},` +
				`{"id":"inv-1-a","userId":"` + uidA + `","date":"2029-11-01","amount":9.99,"status":"paid","paymentMethod":{"brand":"visa","last4":"4242"},` +
				`"description":"Invoice INV-0001","lineItems":[]}]}`,
			`{"invoices":[]}`},
		{"/api/billing/payment-methods",
			`{"paymentMethods":[` +
				`{"id":"pm-2-a","type":"card","brand":"","last4":"","expiryMonth":0,"expiryYear":0,"isDefault":false,"addedAt":"2029-12-01 10:00:00"},` +
				`{"id":"pm-1-a","type":"card","brand":"visa","last4":"4242","expiryMonth":12,"expiryYear":2031,"isDefault":true,"addedAt":"2029-10-01 10:00:00"}]}`,
			`{"paymentMethods":[]}`},
		{"/api/billing/usage-limits",
			`{"usageLimits":{"userId":"` + uidA + `","period":"2029-12","applicationsTracked":2,"resumeVariantsCreated":1,"jobSearchesPerformed":1,` +
				`"limits":{"maxApplications":"unlimited","maxResumeVariants":30,"maxJobSearches":"unlimited"}}}`,
			`{"usageLimits":null}`},
		{"/api/usage/metrics",
			`{"metrics":{"applicationsTracked":2,"resumeVariantsCreated":1,"jobSearchesPerformed":1,"emailsSent":0}}`,
			`{"metrics":{"applicationsTracked":0,"resumeVariantsCreated":0,"jobSearchesPerformed":0,"emailsSent":0}}`},
	} {
		wantBody(t, "A: "+tc.path, ta.do(t, "GET", tc.path, nil, auth(tokA)...), 200, tc.a)
		// B sees none of A's rows.
		wantBody(t, "B: "+tc.path, ta.do(t, "GET", tc.path, nil, auth(tokB)...), 200, tc.b)
		wantBody(t, "no token: "+tc.path, ta.do(t, "GET", tc.path, nil), 401,
			`{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`)
	}
	// Nothing is written through these routes.
	for _, method := range []string{"PATCH", "POST", "PUT", "DELETE"} {
		r := ta.do(t, method, "/api/billing/subscription", map[string]any{"plan": "premium"}, auth(tokB)...)
		wantBody(t, method, r, 404, `{"code":"NOT_FOUND","message":"Route `+method+` /api/billing/subscription not found","statusCode":404}`)
	}
}

// A usage_limits row without a period uses this month's.
func TestUsageLimitsPeriodDefault(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	genExec(t, ta, `INSERT INTO usage_limits (id, user_id, ai_generations_limit, job_searches_limit) VALUES ('ul', ?, NULL, 10)`, uid)
	wantBody(t, "usage-limits", ta.do(t, "GET", "/api/billing/usage-limits", nil, auth(tok)...), 200,
		`{"usageLimits":{"userId":"`+uid+`","period":"2030-01","applicationsTracked":0,"resumeVariantsCreated":0,"jobSearchesPerformed":0,`+
			`"limits":{"maxApplications":"unlimited","maxResumeVariants":"unlimited","maxJobSearches":10}}}`)
}

// Emails count once sent or delivered.
func TestUsageMetricsEmails(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	for i, st := range []string{"sent", "delivered", "failed", "pending", "bounced", "sent"} {
		genExec(t, ta, `INSERT INTO email_history (id, user_id, to_address, subject, status) VALUES (?, ?, 'hr@acme.example', 'Hello', ?)`,
			"em-"+string(rune('a'+i)), uid, st)
	}
	wantBody(t, "metrics", ta.do(t, "GET", "/api/usage/metrics", nil, auth(tok)...), 200,
		`{"metrics":{"applicationsTracked":0,"resumeVariantsCreated":0,"jobSearchesPerformed":0,"emailsSent":3}}`)
}
