package web

import (
	"cmp"
	"maps"
	"net/http"
	"slices"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"

	"github.com/o2c-platform/o2c/libs/identity"
)

// rejectedRow is a rejection with the service that holds it.
type rejectedRow struct {
	Service   string
	Rejection *rejectionv1.Rejection
}

// rejectedData is what the rejected-messages page shows.
type rejectedData struct {
	State       string
	Rows        []rejectedRow
	Pager       Pager
	Unavailable map[string]string
	// CanReplay says whether the user may replay (the backend checks
	// again).
	CanReplay bool
}

// rejectionStates are the states the page filters by.
var rejectionStates = map[string]rejectionv1.RejectionState{
	"open":     rejectionv1.RejectionState_REJECTION_STATE_OPEN,
	"replayed": rejectionv1.RejectionState_REJECTION_STATE_REPLAYED,
	"resolved": rejectionv1.RejectionState_REJECTION_STATE_RESOLVED,
}

// rejected lists the messages every backend rejected (each service's
// RejectionService), newest first, paged; open ones by default.
func (s *Server) rejected(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	d := &rejectedData{State: r.URL.Query().Get("state"), Unavailable: map[string]string{}, CanReplay: rc.Can(replayRoles...)}
	st, ok := rejectionStates[d.State]
	if !ok {
		d.State, st = "open", rejectionv1.RejectionState_REJECTION_STATE_OPEN
	}
	var all []rejectedRow
	for _, name := range slices.Sorted(maps.Keys(s.rejections)) {
		resp, err := s.rejections[name].ListRejections(rc.Ctx, &rejectionv1.ListRejectionsRequest{Tenant: rc.Tenant, State: st, Limit: 1000})
		if err != nil {
			d.Unavailable[name] = sectionError(err)
			continue
		}
		for _, rj := range resp.GetRejections() {
			all = append(all, rejectedRow{Service: name, Rejection: rj})
		}
	}
	slices.SortStableFunc(all, func(a, b rejectedRow) int {
		return -cmp.Compare(a.Rejection.GetRejectedAt().AsTime().UnixNano(), b.Rejection.GetRejectedAt().AsTime().UnixNano())
	})
	d.Rows, d.Pager = slicePage(r, "p", all)
	return &View{Template: "rejected.html", Data: d}, nil
}

// replayRoles may replay rejections (rejection.Policy).
var replayRoles = []identity.Role{identity.Operator, identity.PlatformAdmin}

// replay replays a rejection through its service's handler; the service
// records the user as the one who replayed it.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	c, ok := s.rejections[r.PathValue("service")]
	if !ok {
		return nil, notConfigured(r.PathValue("service"))
	}
	resp, err := c.ReplayRejection(rc.Ctx, &rejectionv1.ReplayRejectionRequest{Id: r.PathValue("id")})
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/rejected", s.catalog.T(rc.Locale, "rejected.replayed", resp.GetRejection().GetId()))
	return nil, nil
}

// heldData is what the held-messages page shows.
type heldData struct {
	Rows  []*ingestionv1.PendingMessage
	Pager Pager
}

// held lists the shop messages ingestion holds until what they wait for
// arrives (IngestionService.ListPending), paged.
func (s *Server) held(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.ingest == nil {
		return nil, notConfigured("ingestion")
	}
	resp, err := s.ingest.ListPending(rc.Ctx, &ingestionv1.ListPendingRequest{Tenant: rc.Tenant})
	if err != nil {
		return nil, err
	}
	d := &heldData{}
	d.Rows, d.Pager = slicePage(r, "p", resp.GetPending())
	return &View{Template: "held.html", Data: d}, nil
}
