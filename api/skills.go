package api

// skillsRoutes registers the /api/skills routes (placeholder until written).
func (a *App) skillsRoutes() {}
