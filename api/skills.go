package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// skillsRoutes registers the /api/skills routes (contract §2.9). All use
// auth; none is rate-limited per user.
func (a *App) skillsRoutes() {
	a.e.GET("/api/skills", a.handleListSkills, a.authenticate)
	a.e.POST("/api/skills", a.handleAddSkill, a.authenticate)
	a.e.PATCH("/api/skills/:id", a.handleUpdateSkill, a.authenticate)
	a.e.DELETE("/api/skills/:id", a.handleDeleteSkill, a.authenticate)
}

var skillLevels = []string{"beginner", "intermediate", "advanced", "expert"}

// validateSkill is skillSchema (partial for PATCH).
func validateSkill(body any, partial bool) (name, level *string, issues zodIssues) {
	obj, ok := issues.object(body)
	if !ok {
		return nil, nil, issues
	}
	name = issues.str(obj, "name", partial, false, 1, "Skill name is required", 0)
	level = issues.optEnum(obj, "level", skillLevels)
	return name, level, issues
}

func (a *App) handleListSkills(c echo.Context) error {
	skills, err := d1Rows(c.Request().Context(), a.env.D1["DB"].Prepare("SELECT * FROM skills WHERE user_id = ? ORDER BY created_at DESC").Bind(userID(c)))
	if err != nil {
		a.consoleError(c, "[Skills] Error fetching skills: %v", err)
		return localFail(c, "Failed to fetch skills", err)
	}
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Skills fetched successfully"}, {"skills", skills}})
}

func (a *App) handleAddSkill(c echo.Context) error {
	uid := userID(c)
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	name, level, issues := validateSkill(body, false)
	if len(issues) > 0 {
		return issues.localError(c, "Invalid skill data")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	id := newUUID()
	now := isoTime(a.clock.Now())
	fail := func(err error) error {
		a.consoleError(c, "[Skills] Error adding skill: %v", err)
		return localFail(c, "Failed to add skill", err)
	}
	if _, err := db.Prepare(`INSERT INTO skills (id, user_id, name, proficiency_level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`).
		Bind(id, uid, *name, nullable(level), now, now).Run(ctx); err != nil {
		return fail(err)
	}
	skill, err := d1Row(ctx, db.Prepare("SELECT * FROM skills WHERE id = ?").Bind(id))
	if err != nil {
		return fail(err)
	}
	a.profileChanged(c, uid)
	a.consoleLog(c, "[Skills] Added skill for user %s, background updates queued", uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Skill added successfully"}, {"skill", skill}})
}

func (a *App) handleUpdateSkill(c echo.Context) error {
	uid := userID(c)
	id := c.Param("id")
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	name, level, issues := validateSkill(body, true)
	if len(issues) > 0 {
		return issues.localError(c, "Invalid skill data")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	fail := func(err error) error {
		a.consoleError(c, "[Skills] Error updating skill: %v", err)
		return localFail(c, "Failed to update skill", err)
	}
	set := ""
	var args []any
	if name != nil {
		set += "name = ?, "
		args = append(args, *name)
	}
	if level != nil {
		set += "proficiency_level = ?, "
		args = append(args, *level)
	}
	args = append(args, isoTime(a.clock.Now()), id, uid)
	res, err := db.Prepare("UPDATE skills SET " + set + "updated_at = ? WHERE id = ? AND user_id = ?").Bind(args...).Run(ctx)
	if err != nil {
		return fail(err)
	}
	if res.Meta.Changes == 0 {
		return localMessage(c, http.StatusNotFound, "Skill not found or access denied")
	}
	skill, err := d1Row(ctx, db.Prepare("SELECT * FROM skills WHERE id = ? AND user_id = ?").Bind(id, uid))
	if err != nil {
		return fail(err)
	}
	a.profileChanged(c, uid)
	a.consoleLog(c, "[Skills] Updated skill %s for user %s, background updates queued", id, uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Skill updated successfully"}, {"skill", skill}})
}

func (a *App) handleDeleteSkill(c echo.Context) error {
	uid := userID(c)
	id := c.Param("id")
	res, err := a.env.D1["DB"].Prepare("DELETE FROM skills WHERE id = ? AND user_id = ?").Bind(id, uid).Run(c.Request().Context())
	if err != nil {
		a.consoleError(c, "[Skills] Error deleting skill: %v", err)
		return localFail(c, "Failed to delete skill", err)
	}
	if res.Meta.Changes == 0 {
		return localMessage(c, http.StatusNotFound, "Skill not found or access denied")
	}
	a.profileChanged(c, uid)
	a.consoleLog(c, "[Skills] Deleted skill %s for user %s, background updates queued", id, uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Skill deleted successfully"}})
}
