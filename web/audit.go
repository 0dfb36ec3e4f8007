package web

import (
	"strings"
)

// The audit log stores codes (models.AuditEntry): an action such as
// "proposal_status:accepted" or "set_disabled:true", a target type and
// id, and a detail that is a reason, a title or an event kind. These
// functions word them in the reader's language for the moderation and
// admin pages; a code without a message shows as it is, so a new action
// is never hidden.

// auditAction words an audit action.
func auditAction(l *Locale, action string) string {
	name, value, _ := strings.Cut(action, ":")
	key := "audit.action." + name
	var arg string
	switch name {
	case "proposal_status":
		arg = l.T("proposal.status." + value)
	case "set_role":
		arg = l.T("role." + value)
	case "set_disabled", "set_decider":
		key += "." + value
	}
	if !l.Has(key) {
		return action
	}
	if arg != "" {
		return l.T(key, arg)
	}
	return l.T(key)
}

// auditTargetPaths are the pages of the audit log's target types, by id.
var auditTargetPaths = map[string]string{
	"proposal": "/p/", "debate": "/d/", "petition": "/pe/", "comment": "/c/", "consultation": "/consultations/",
	"news": "/news/", "space": "/s/", "account": "/@",
}

// auditTarget words an audit entry's target ("debate n° 2") and gives the
// path of its page, "" when it has none.
func auditTarget(l *Locale, typ, id string) (label, path string) {
	label = typ + " " + id
	if key := "audit.target." + typ; l.Has(key) {
		label = l.T(key, id)
	}
	if p, ok := auditTargetPaths[typ]; ok && id != "" {
		path = p + id
	}
	return label, path
}

// auditDetail words a detail that is a code (an event kind), and leaves
// a reason or a title as it was written.
func auditDetail(l *Locale, detail string) string {
	if key := "audit.detail." + detail; detail != "" && l.Has(key) {
		return l.T(key)
	}
	return detail
}

// auditTargetLabel is auditTarget's label alone.
func auditTargetLabel(l *Locale, typ, id string) string {
	label, _ := auditTarget(l, typ, id)
	return label
}
