//! Issue 27: request options cost a plain GET source nothing. A source without `method`,
//! `body`, `json`, `headers`, `cookie_file` or `user_agent` builds no request at all: this
//! counts the allocations of deciding so, on the thread that decides.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

#[test]
fn a_plain_get_source_builds_no_request_and_allocates_nothing() {
    let text = "[[source]]\nname = \"feed\"\nurl = \"https://www.cgtn.com/subscribe/rss/section/china.xml\"\n\
                [[source]]\nname = \"list\"\nkind = \"html\"\nurl = \"https://www.ndrc.gov.cn/xwdt/xwfb/\"\n\
                item = \"li\"\ntitle = \"a@title\"\nencoding = \"utf-8\"\nhtml_path = \"data.html\"\n\
                [[source]]\nname = \"post\"\nurl = \"https://x.test/\"\nmethod = \"POST\"\nbody = \"a=1\"\n";
    let cfg = sigwatch::config::Config::parse(text, std::path::Path::new("/t.toml")).unwrap();
    for s in &cfg.sources[..2] {
        let (req, n) = allocations_of(|| sigwatch::source::Request::of_source(s));
        assert!(req.unwrap().is_none(), "{}", s.name);
        assert_eq!(n, 0, "{}: {n} allocations", s.name);
    }
    // The counter counts: a POST source's request is built.
    let (req, n) = allocations_of(|| sigwatch::source::Request::of_source(&cfg.sources[2]));
    assert!(req.unwrap().is_some());
    assert!(n > 0);
}
