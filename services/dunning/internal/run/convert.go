package run

import (
	"encoding/json"
	"fmt"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"

	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
)

// DateProto returns d as a proto Date, nil for the zero Date.
func DateProto(d dunning.Date) *commonv1.Date {
	if d.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// DateOf returns the proto Date d as the engine's Date; nil or a zero
// year is the zero Date.
func DateOf(d *commonv1.Date) dunning.Date {
	if d == nil || d.GetYear() == 0 {
		return dunning.Date{}
	}
	return dunning.MakeDate(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()))
}

// CheckDate returns the proto Date d as the engine's Date, and an error
// wrapping ErrInvalidRequest naming field when it is not a valid calendar
// date.
func CheckDate(field string, d *commonv1.Date) (dunning.Date, error) {
	v := DateOf(d)
	if d == nil || v.IsZero() || v.Year != int(d.GetYear()) || int(v.Month) != int(d.GetMonth()) || v.Day != int(d.GetDay()) || v.Year > 9999 {
		return dunning.Date{}, fmt.Errorf("%w: %s: not a valid date", ErrInvalidRequest, field)
	}
	return v, nil
}

func money(minor int64, currency string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: currency}
}

// stateJSON encodes the engine's state for a decision event.
func stateJSON(s dunning.State) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode dunning state: %w", err)
	}
	return b, nil
}

// stateOf decodes the engine's state stored with a decision; empty is the
// state of a debtor never decided.
func stateOf(b []byte) (dunning.State, error) {
	var s dunning.State
	if len(b) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return dunning.State{}, fmt.Errorf("decode dunning state: %w", err)
	}
	return s, nil
}

// BlockProto returns b as the proto Block.
func BlockProto(b dunning.Block) *dunningv1.Block {
	return &dunningv1.Block{BlockId: b.ID, DebtorId: b.Debtor, OpenItemId: b.Item, Reason: b.Reason, SetBy: b.SetBy,
		Source: b.Source, SetDate: DateProto(b.Set), Expires: DateProto(b.Expires), Lifted: b.Lifted}
}

// BlockOf returns the proto Block b as the engine's Block.
func BlockOf(b *dunningv1.Block) dunning.Block {
	return dunning.Block{ID: b.GetBlockId(), Debtor: b.GetDebtorId(), Item: b.GetOpenItemId(), Reason: b.GetReason(),
		SetBy: b.GetSetBy(), Source: b.GetSource(), Set: DateOf(b.GetSetDate()), Expires: DateOf(b.GetExpires()), Lifted: b.GetLifted()}
}

func defaultProto(f *dunning.DefaultFact) *dunningv1.DefaultFact {
	if f == nil {
		return nil
	}
	return &dunningv1.DefaultFact{OpenItemId: f.Item, Date: DateProto(f.Date), Basis: f.Basis}
}

func chargeProto(c dunning.Charge, currency string) *dunningv1.Charge {
	return &dunningv1.Charge{Kind: c.Kind, ClaimOpenItemId: c.Claim, Amount: money(c.Amount, currency), IdempotencyKey: c.Key}
}

// decisionEvent builds the event of decision d made from in: every input
// (items with open amounts and days overdue, blocks, state) and what the
// engine decided.
func decisionEvent(tenant string, cfgRaw []byte, in dunning.Input, docs map[string]string, d dunning.Decision,
	n *dunningv1.Notice, before, after dunning.State) (*dunningv1.DunningDecisionRecorded, error) {
	sb, err := stateJSON(before)
	if err != nil {
		return nil, err
	}
	sa, err := stateJSON(after)
	if err != nil {
		return nil, err
	}
	cur := ""
	ev := &dunningv1.DunningDecisionRecorded{
		Tenant: tenant, DebtorId: in.Debtor.ID, Date: DateProto(in.Date), ProcedureId: d.Procedure, ProcedureVersion: int32(d.Version),
		Debtor: &dunningv1.DebtorFacts{DebtorId: in.Debtor.ID, Kind: in.Debtor.Kind, Group: in.Debtor.Group, Language: in.Debtor.Language,
			Channel: in.Debtor.Channel},
		Level: int32(d.Level), Notice: n, Released: d.Released, LiftedBlocks: d.LiftedBlocks, Warnings: d.Warnings, Rules: d.Rules,
		LastNoticeBefore: DateProto(before.LastNotice), Config: cfgRaw, StateBefore: sb, StateAfter: sa,
	}
	for _, it := range in.Items {
		if cur == "" {
			cur = it.Currency
		}
		ev.Items = append(ev.Items, &dunningv1.DunningItem{
			OpenItemId: it.ID, ClaimOpenItemId: it.Claim, Component: it.Component, DocumentNumber: docs[it.ID],
			Amount: money(it.Amount, it.Currency), Open: money(it.Open, it.Currency), DocumentDate: DateProto(it.DocumentDate),
			DueDate: DateProto(it.DueDate), DeliveryDate: DateProto(it.DeliveryDate), DaysOverdue: daysOverdue(it, in.Date),
			ConsumerDefaultNotice: it.ConsumerDefaultNotice, Marketplace: it.Marketplace, Dunnable: it.Dunnable,
			LevelBefore: int32(before.Levels[it.ID]), LevelAfter: int32(after.Levels[it.ID]), Reopened: it.Reopened,
			PartPayments: datesProto(it.PartPayments),
		})
	}
	for _, b := range in.Blocks {
		ev.BlocksSeen = append(ev.BlocksSeen, BlockProto(b))
	}
	for _, c := range d.Charges {
		ev.Charges = append(ev.Charges, chargeProto(c, cur))
	}
	for _, s := range d.Skipped {
		ev.Skipped = append(ev.Skipped, &dunningv1.Skip{OpenItemId: s.Item, Reason: s.Reason})
	}
	for _, f := range d.Defaults {
		ev.Defaults = append(ev.Defaults, defaultProto(&f))
	}
	return ev, nil
}

func daysOverdue(it dunning.Item, on dunning.Date) int32 {
	if it.DueDate.IsZero() {
		return 0
	}
	return int32(on.DaysSince(it.DueDate))
}

func datesProto(ds []dunning.Date) []*commonv1.Date {
	var out []*commonv1.Date
	for _, d := range ds {
		out = append(out, DateProto(d))
	}
	return out
}

func datesOf(ds []*commonv1.Date) []dunning.Date {
	var out []dunning.Date
	for _, d := range ds {
		out = append(out, DateOf(d))
	}
	return out
}

// InputOf returns the input a stored decision was made from: a replay
// needs nothing else.
func InputOf(ev *dunningv1.DunningDecisionRecorded) (dunning.Input, error) {
	st, err := stateOf(ev.GetStateBefore())
	if err != nil {
		return dunning.Input{}, err
	}
	f := ev.GetDebtor()
	in := dunning.Input{Debtor: dunning.Debtor{ID: ev.GetDebtorId(), Kind: f.GetKind(), Group: f.GetGroup(), Language: f.GetLanguage(),
		Channel: f.GetChannel()}, State: st, Date: DateOf(ev.GetDate())}
	for _, it := range ev.GetItems() {
		in.Items = append(in.Items, dunning.Item{ID: it.GetOpenItemId(), Debtor: ev.GetDebtorId(), Claim: it.GetClaimOpenItemId(),
			Component: it.GetComponent(), Currency: it.GetOpen().GetCurrency(), Amount: it.GetAmount().GetMinorUnits(),
			Open: it.GetOpen().GetMinorUnits(), DocumentDate: DateOf(it.GetDocumentDate()), DueDate: DateOf(it.GetDueDate()),
			DeliveryDate: DateOf(it.GetDeliveryDate()), ConsumerDefaultNotice: it.GetConsumerDefaultNotice(),
			Marketplace: it.GetMarketplace(), Dunnable: it.GetDunnable(), PartPayments: datesOf(it.GetPartPayments()),
			Reopened: it.GetReopened()})
	}
	for _, b := range ev.GetBlocksSeen() {
		in.Blocks = append(in.Blocks, BlockOf(b))
	}
	return in, nil
}

// ProcedureProto returns p as the proto Procedure, amounts in currency.
func ProcedureProto(p dunning.Procedure, currency string) *dunningv1.Procedure {
	out := &dunningv1.Procedure{ProcedureId: p.ID, Version: int32(p.Version), ValidFrom: DateProto(p.ValidFrom), Groups: p.Groups}
	for _, l := range p.Levels {
		out.Levels = append(out.Levels, &dunningv1.Level{Number: int32(l.Number), DaysPastDue: int32(l.DaysPastDue),
			MinIntervalDays: int32(l.MinIntervalDays), MinOpen: money(l.MinOpen, currency), MinShareBp: int32(l.MinShareBP),
			GraceDays: int32(l.GraceDays), FeeKind: l.Fee.Kind, Fee: money(l.Fee.Amount, currency), FeeBp: int32(l.Fee.BP),
			Interest: l.Interest, Template: l.Template, ListAllDue: l.ListAllDue, AlwaysDun: l.AlwaysDun,
			CreatesDefault: l.CreatesDefault, ReleaseToCollections: l.ReleaseToCollections})
	}
	return out
}
