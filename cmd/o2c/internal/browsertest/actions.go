package browsertest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// chromedpFill types value into the field sel selects.
func chromedpFill(sel, value string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS(sel), value)}
}

// chromedpForge posts a form the page does not offer to action, with the
// page's own CSRF token (from any form of the page) and fields: what a
// user who edits the page in the browser's developer tools can send.
func chromedpForge(action string, fields map[string]string) []chromedp.Action[chromedp.Void] {
	fs, _ := json.Marshal(fields)
	js := fmt.Sprintf(`(() => {
  const f = document.createElement("form");
  f.method = "post"; f.action = %q;
  const add = (k, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i); };
  add("csrf", document.querySelector('input[name="csrf"]').value);
  for (const [k, v] of Object.entries(%s)) add(k, v);
  document.body.appendChild(f);
  f.submit();
  return true;
})()`, action, fs)
	return []chromedp.Action[chromedp.Void]{
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](js)(ctx, t)
			return chromedp.Void{}, err
		},
	}
}

// chromedpClick clicks the element sel selects.
func chromedpClick(sel string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(sel))}
}
