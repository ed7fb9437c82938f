package api

// applicationsRoutes registers the /api/applications routes (placeholder until written).
func (a *App) applicationsRoutes() {}
