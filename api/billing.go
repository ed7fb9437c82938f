package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Account billing (useSubscription, useInvoices, usePaymentMethods,
// useUsageLimits). The original Worker has no such routes (contract §7.2);
// they read the subscriptions, invoices, payment_methods and usage_limits
// tables of the schema, the caller's rows only, and answer the shapes of
// the frontend's account-billing types under the keys the hooks read
// (result.subscription, result.invoices, result.paymentMethods,
// result.usageLimits). Nothing here writes: plans and invoices come from
// the payment provider, not from the user.

// billingRoutes registers GET /api/billing/*; all use auth, none is
// rate-limited per user.
func (a *App) billingRoutes() {
	a.e.GET("/api/billing/subscription", a.handleGetSubscription, a.authenticate)
	a.e.GET("/api/billing/invoices", a.handleListInvoices, a.authenticate)
	a.e.GET("/api/billing/payment-methods", a.handleListPaymentMethods, a.authenticate)
	a.e.GET("/api/billing/usage-limits", a.handleGetUsageLimits, a.authenticate)
}

// rowInt is an INTEGER column, 0 when NULL.
func rowInt(row map[string]any, col string) int64 { return int64(rowFloat(row, col)) }

// rowNumber is a numeric column as stored, 0 when NULL.
func rowNumber(row map[string]any, col string) any {
	switch row[col].(type) {
	case int64, float64:
		return row[col]
	}
	return 0
}

// handleGetSubscription is GET /api/billing/subscription: {subscription},
// the caller's latest subscription as the Subscription type, or null.
// billingCycle is always "monthly" (the schema has no such column).
func (a *App) handleGetSubscription(c echo.Context) error {
	row, err := a.env.D1["DB"].Prepare("SELECT * FROM subscriptions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1").
		Bind(userID(c)).First(c.Request().Context())
	if err != nil {
		return err
	}
	var sub any
	if row != nil {
		sub = ordObj{
			{"id", rowString(row, "id")}, {"userId", rowString(row, "user_id")}, {"plan", rowString(row, "plan")},
			{"billingCycle", "monthly"}, {"status", rowString(row, "status")},
			{"currentPeriodStart", rowString(row, "current_period_start")}, {"currentPeriodEnd", rowString(row, "current_period_end")},
			{"cancelAtPeriodEnd", rowInt(row, "cancel_at_period_end") != 0},
		}
	}
	return writeJSON(c, http.StatusOK, ordObj{{"subscription", sub}})
}

// handleListInvoices is GET /api/billing/invoices: {invoices}, newest
// first, as the Invoice type. The schema keeps no card per invoice nor
// line items: paymentMethod is the caller's default card (empty strings
// without one) and lineItems is empty.
func (a *App) handleListInvoices(c echo.Context) error {
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	uid := userID(c)
	res, err := db.Prepare("SELECT * FROM invoices WHERE user_id = ? ORDER BY invoice_date DESC, rowid DESC").Bind(uid).All(ctx)
	if err != nil {
		return err
	}
	card := ordObj{{"brand", ""}, {"last4", ""}}
	if len(res.Results) > 0 {
		def, err := db.Prepare("SELECT brand, last4 FROM payment_methods WHERE user_id = ? ORDER BY is_default DESC, added_at DESC, rowid DESC LIMIT 1").
			Bind(uid).First(ctx)
		if err != nil {
			return err
		}
		if def != nil {
			card = ordObj{{"brand", rowString(def, "brand")}, {"last4", rowString(def, "last4")}}
		}
	}
	invoices := make([]ordObj, len(res.Results))
	for i, row := range res.Results {
		number := rowString(row, "invoice_number")
		if number == "" {
			number = rowString(row, "id")
		}
		inv := ordObj{
			{"id", rowString(row, "id")}, {"userId", rowString(row, "user_id")}, {"date", rowString(row, "invoice_date")},
			{"amount", rowNumber(row, "amount_due")}, {"status", rowString(row, "status")}, {"paymentMethod", card},
			{"description", "Invoice " + number},
		}
		if pdf := rowString(row, "invoice_pdf_url"); pdf != "" {
			inv = append(inv, ordKV{"pdfUrl", pdf})
		}
		invoices[i] = append(inv, ordKV{"lineItems", []any{}})
	}
	return writeJSON(c, http.StatusOK, ordObj{{"invoices", invoices}})
}

// handleListPaymentMethods is GET /api/billing/payment-methods:
// {paymentMethods}, most recently added first, as the PaymentMethod type
// (NULL text is "", NULL numbers 0).
func (a *App) handleListPaymentMethods(c echo.Context) error {
	res, err := a.env.D1["DB"].Prepare("SELECT * FROM payment_methods WHERE user_id = ? ORDER BY added_at DESC, rowid DESC").
		Bind(userID(c)).All(c.Request().Context())
	if err != nil {
		return err
	}
	methods := make([]ordObj, len(res.Results))
	for i, row := range res.Results {
		methods[i] = ordObj{
			{"id", rowString(row, "id")}, {"type", rowString(row, "type")}, {"brand", rowString(row, "brand")},
			{"last4", rowString(row, "last4")}, {"expiryMonth", rowInt(row, "exp_month")}, {"expiryYear", rowInt(row, "exp_year")},
			{"isDefault", rowInt(row, "is_default") != 0}, {"addedAt", rowString(row, "added_at")},
		}
	}
	return writeJSON(c, http.StatusOK, ordObj{{"paymentMethods", methods}})
}

// handleGetUsageLimits is GET /api/billing/usage-limits: {usageLimits},
// null when the caller has no usage_limits row, else the UsageLimits type:
// the period (YYYY-MM of period_start, else of today), this usage (as
// GET /api/usage/metrics counts it) and the limits, a NULL limit being
// "unlimited": maxResumeVariants is ai_generations_limit, maxJobSearches
// job_searches_limit; the schema has no limit on tracked applications.
func (a *App) handleGetUsageLimits(c echo.Context) error {
	ctx := c.Request().Context()
	uid := userID(c)
	row, err := a.env.D1["DB"].Prepare("SELECT * FROM usage_limits WHERE user_id = ?").Bind(uid).First(ctx)
	if err != nil {
		return err
	}
	if row == nil {
		return writeJSON(c, http.StatusOK, ordObj{{"usageLimits", nil}})
	}
	m, err := a.usageMetrics(c)
	if err != nil {
		return err
	}
	period := rowString(row, "period_start")
	if len(period) < 7 {
		period = a.clock.Now().UTC().Format("2006-01")
	}
	limit := func(col string) any {
		if row[col] == nil {
			return "unlimited"
		}
		return rowInt(row, col)
	}
	return writeJSON(c, http.StatusOK, ordObj{{"usageLimits", ordObj{
		{"userId", uid}, {"period", period[:7]},
		{"applicationsTracked", m.ApplicationsTracked}, {"resumeVariantsCreated", m.ResumeVariantsCreated},
		{"jobSearchesPerformed", m.JobSearchesPerformed},
		{"limits", ordObj{
			{"maxApplications", "unlimited"}, {"maxResumeVariants", limit("ai_generations_limit")},
			{"maxJobSearches", limit("job_searches_limit")},
		}},
	}}})
}
