package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/notifications", s.notificationsPage)
			r.Post("/notifications/read", s.notificationsRead)
		})
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/notifications", s.apiNotifications)
			r.Post("/notifications/read", s.notificationsRead)
		})
	})
}

// notificationItem is one line of the notifications page or API.
type notificationItem struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Text      string     `json:"text"`
	URL       string     `json:"url,omitempty"`
	Actor     string     `json:"actor,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// notificationText words a notification in the reader's language. Each
// kind has the message "notification.KIND", whose %[1]s is the object's
// title and %[2]s the kind's data (a percentage, written the reader's
// way: "50%", "50 %"); kinds without a message use "notification.generic".
func notificationText(l *Locale, n *models.NotificationView) string {
	title := l.T("notification.gone")
	if n.Object != nil {
		title = n.Object.Title
	}
	key := "notification." + n.Kind
	if l.T(key) == key {
		key = "notification.generic"
	}
	data := n.Data
	if pct, err := strconv.Atoi(data); err == nil && n.Kind == models.NotifyPetitionMilestone {
		data = l.Percent(float64(pct), 0)
	}
	return l.T(key, title, data)
}

// notifications loads a page of the signed-in account's notifications
// (?before= is the cursor) and words them.
func (s *Server) notifications(r *http.Request) (list[notificationItem], error) {
	cursor, limit := pageParams(r)
	if cursor == "" {
		cursor = r.URL.Query().Get("before") // the page's links
	}
	before, err := idCursor(cursor)
	if err != nil {
		return list[notificationItem]{}, err
	}
	rows, err := s.store.Notifications(r.Context(), currentAccount(r.Context()), before, limit)
	if err != nil {
		return list[notificationItem]{}, err
	}
	l := s.localeFor(r)
	out := list[notificationItem]{Items: []notificationItem{}}
	for i := range rows {
		n := &rows[i]
		item := notificationItem{ID: strconv.FormatInt(n.ID, 10), Kind: n.Kind, Text: notificationText(l, n),
			Actor: n.ActorName, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
		if n.Object != nil {
			item.URL = n.Object.URL
		}
		out.Items = append(out.Items, item)
	}
	if len(rows) == limit {
		out.NextCursor = out.Items[len(out.Items)-1].ID
	}
	return out, nil
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	page, err := s.notifications(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	unread := 0
	for _, n := range page.Items {
		if n.ReadAt == nil {
			unread++
		}
	}
	v := &notificationsView{Items: page.Items, Next: page.NextCursor, Unread: unread}
	s.render(w, r, http.StatusOK, notificationsPage(s.page(r, s.localeFor(r).T("notifications.title")), v))
}

// notificationsView is a page of notifications: Next is the cursor of the
// following page, Unread how many of these are unread.
type notificationsView struct {
	Items  []notificationItem
	Next   string
	Unread int
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) {
	page, err := s.notifications(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// notificationsRead marks every notification read ("mark all read").
func (s *Server) notificationsRead(w http.ResponseWriter, r *http.Request) {
	if err := s.store.MarkNotificationsRead(r.Context(), currentAccount(r.Context())); err != nil {
		s.error(w, r, err)
		return
	}
	if isAPI(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	redirect(w, r, "/notifications", "notifications.marked")
}
