#[weft::test]
async fn takes_an_argument(n: u32) {
    let _ = n;
}

#[weft::test]
#[test]
async fn tested_twice() {}

fn main() {}
