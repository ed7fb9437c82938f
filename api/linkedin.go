package api

// linkedinRoutes registers the /api/linkedin routes (placeholder until written).
func (a *App) linkedinRoutes() {}
