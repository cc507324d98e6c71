async fn missing_arrow() {
    weft::select! {
        v = std::future::ready(1) v,
    };
}

async fn missing_comma() -> u32 {
    weft::select! {
        v = std::future::ready(1) => v
        w = std::future::ready(2) => w,
    }
}

async fn missing_equals() {
    weft::select! {
        v => {}
    };
}

async fn no_branches() {
    weft::select! {
        else => {}
    };
}

async fn two_elses() {
    weft::select! {
        _ = std::future::ready(1) => {}
        else => {}
        else => {}
    };
}

fn main() {}
