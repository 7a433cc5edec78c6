// What every page is: a view that `refresh` fills; `live` pages are refreshed
// every 2 s while the tab is visible (main.ts), one refresh at a time.

export interface Page {
  readonly view: HTMLElement
  readonly refresh: () => Promise<void>
  readonly live: boolean
}
