package api

// profileRoutes registers the /api/profile routes (placeholder until written).
func (a *App) profileRoutes() {}
