//! Bounds on a parsed document, checked before async-graphql validates it.
//!
//! async-graphql's validators and its complexity and depth visitors walk every fragment spread
//! path without memoization, so a few hundred bytes of nested spreads cost exponential time
//! (`{...F0} fragment F0 {...F1 ...F1} …`), and some rules are quadratic in the number of fields
//! or arguments. Here each fragment's expanded size is computed once, and every count stops at
//! its limit, so the check is linear in the document and rejects it before validation starts.

use std::collections::HashMap;

use async_graphql::ServerError;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

/// What a document may contain; every limit is a setting (see `config.rs`).
#[derive(Clone, Debug)]
pub struct DocumentLimits {
    /// Length of the query text in bytes, checked before parsing: parsing is linear but not
    /// cheap (about a second per MiB in a debug build), and large inputs belong in variables.
    pub max_bytes: usize,
    /// Fields and inline fragments after expanding fragment spreads, over all operations and
    /// fragment definitions (validation walks each of them).
    pub max_selections: usize,
    /// Fragment spreads written in the document.
    pub max_fragment_spreads: usize,
    /// Directives on one field, fragment or operation.
    pub max_directives: usize,
    /// Arguments, argument values (list items and object fields count one each) and variable
    /// definitions in the document.
    pub max_input_values: usize,
    /// Operations and fragment definitions in the document.
    pub max_definitions: usize,
    /// Errors returned in one response; the rest are summarized in one last error.
    pub max_errors: usize,
}

/// Why a document was refused; the message is shown to the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentTooLarge {
    #[error("the query is longer than {0} bytes; pass large inputs as variables")]
    Bytes(usize),
    #[error("the query selects more than {0} fields once fragments are expanded")]
    Selections(usize),
    #[error("the query has more than {0} fragment spreads")]
    FragmentSpreads(usize),
    #[error("a field, fragment or operation has more than {0} directives")]
    Directives(usize),
    #[error("the query has more than {0} arguments, values and variables")]
    InputValues(usize),
    #[error("the query has more than {0} operations and fragments")]
    Definitions(usize),
    #[error("fragment \"{0}\" spreads itself")]
    FragmentCycle(String),
}

/// Checks `document` against `limits` in time linear in its size.
pub fn check(
    document: &ExecutableDocument,
    limits: &DocumentLimits,
) -> Result<(), DocumentTooLarge> {
    let definitions = document.operations.iter().count() + document.fragments.len();
    if definitions > limits.max_definitions {
        return Err(DocumentTooLarge::Definitions(limits.max_definitions));
    }
    let mut counter = Counter {
        limits,
        fragments: &document.fragments,
        spreads: 0,
        input_values: 0,
        expanded: HashMap::new(),
    };
    // Flat counts first: they bound the recursion of the expansion below.
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        counter.directives(&operation.directives)?;
        for variable in &operation.variable_definitions {
            counter.add_input_values(1)?;
            counter.directives(&variable.node.directives)?;
            if let Some(default) = &variable.node.default_value {
                counter.add_input_values(const_value_count(&default.node))?;
            }
        }
        counter.flat(&operation.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        counter.directives(&fragment.node.directives)?;
        counter.flat(&fragment.node.selection_set.node)?;
    }
    let mut selections = 0usize;
    for (_, operation) in document.operations.iter() {
        selections = selections.saturating_add(counter.expand(&operation.node.selection_set.node)?);
        counter.within_selections(selections)?;
    }
    for name in document.fragments.keys() {
        selections = selections.saturating_add(counter.fragment(name.as_str())?);
        counter.within_selections(selections)?;
    }
    Ok(())
}

/// The verdict as the GraphQL error the caller receives.
pub fn rejection(reason: &DocumentTooLarge) -> ServerError {
    ServerError::new(reason.to_string(), None)
}

/// Keeps the first `max` errors, the last of them saying how many were left out: a document
/// with thousands of mistakes must not become a response of thousands of errors.
pub fn cap_errors(errors: &mut Vec<ServerError>, max: usize) {
    let max = max.max(1);
    if errors.len() > max {
        let omitted = errors.len() - (max - 1);
        errors.truncate(max - 1);
        errors.push(ServerError::new(
            format!("{omitted} more errors left out"),
            None,
        ));
    }
}

enum Expansion {
    /// On the current spread path: reaching it again is a cycle.
    InProgress,
    Done(usize),
}

struct Counter<'a> {
    limits: &'a DocumentLimits,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    spreads: usize,
    input_values: usize,
    expanded: HashMap<&'a str, Expansion>,
}

impl<'a> Counter<'a> {
    fn directives(&mut self, directives: &[Positioned<Directive>]) -> Result<(), DocumentTooLarge> {
        if directives.len() > self.limits.max_directives {
            return Err(DocumentTooLarge::Directives(self.limits.max_directives));
        }
        for directive in directives {
            self.arguments(&directive.node.arguments)?;
        }
        Ok(())
    }

    fn arguments(
        &mut self,
        arguments: &[(Positioned<Name>, Positioned<Value>)],
    ) -> Result<(), DocumentTooLarge> {
        for (_, value) in arguments {
            self.add_input_values(1)?;
            self.add_input_values(value_count(&value.node))?;
        }
        Ok(())
    }

    fn add_input_values(&mut self, count: usize) -> Result<(), DocumentTooLarge> {
        self.input_values = self.input_values.saturating_add(count);
        if self.input_values > self.limits.max_input_values {
            return Err(DocumentTooLarge::InputValues(self.limits.max_input_values));
        }
        Ok(())
    }

    fn within_selections(&self, selections: usize) -> Result<(), DocumentTooLarge> {
        if selections > self.limits.max_selections {
            return Err(DocumentTooLarge::Selections(self.limits.max_selections));
        }
        Ok(())
    }

    /// Spreads, directives and arguments as written (nesting is bounded by the parser).
    fn flat(&mut self, set: &'a SelectionSet) -> Result<(), DocumentTooLarge> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.directives(&field.node.directives)?;
                    self.arguments(&field.node.arguments)?;
                    self.flat(&field.node.selection_set.node)?;
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives)?;
                    self.flat(&inline.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives)?;
                    self.spreads += 1;
                    if self.spreads > self.limits.max_fragment_spreads {
                        return Err(DocumentTooLarge::FragmentSpreads(
                            self.limits.max_fragment_spreads,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Selections of `set` with spreads expanded, each fragment computed once. Recursion is
    /// bounded by the parser's nesting limit plus the number of spreads.
    fn expand(&mut self, set: &'a SelectionSet) -> Result<usize, DocumentTooLarge> {
        let mut total = 0usize;
        for selection in &set.items {
            let size = match &selection.node {
                Selection::Field(field) => 1 + self.expand(&field.node.selection_set.node)?,
                Selection::InlineFragment(inline) => {
                    1 + self.expand(&inline.node.selection_set.node)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node)?
                }
            };
            total = total.saturating_add(size);
            self.within_selections(total)?;
        }
        Ok(total)
    }

    /// A fragment's expanded size; an unknown fragment counts nothing (validation names it).
    fn fragment(&mut self, name: &'a str) -> Result<usize, DocumentTooLarge> {
        match self.expanded.get(name) {
            Some(Expansion::Done(size)) => return Ok(*size),
            Some(Expansion::InProgress) => {
                return Err(DocumentTooLarge::FragmentCycle(name.to_owned()));
            }
            None => {}
        }
        let Some((key, definition)) = self.fragments.get_key_value(name) else {
            return Ok(0);
        };
        self.expanded.insert(key.as_str(), Expansion::InProgress);
        let size = self.expand(&definition.node.selection_set.node)?;
        self.expanded.insert(key.as_str(), Expansion::Done(size));
        Ok(size)
    }
}

/// Values in a literal: a list or object counts itself and each item.
fn value_count(value: &Value) -> usize {
    match value {
        Value::List(items) => 1 + items.iter().map(value_count).sum::<usize>(),
        Value::Object(fields) => 1 + fields.values().map(value_count).sum::<usize>(),
        _ => 1,
    }
}

fn const_value_count(value: &ConstValue) -> usize {
    match value {
        ConstValue::List(items) => 1 + items.iter().map(const_value_count).sum::<usize>(),
        ConstValue::Object(fields) => 1 + fields.values().map(const_value_count).sum::<usize>(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        DocumentLimits {
            max_bytes: 10_000,
            max_selections: 100,
            max_fragment_spreads: 20,
            max_directives: 2,
            max_input_values: 50,
            max_definitions: 10,
            max_errors: 3,
        }
    }

    fn verdict(query: &str) -> Result<(), DocumentTooLarge> {
        check(
            &async_graphql::parser::parse_query(query).expect("parses"),
            &limits(),
        )
    }

    /// `{...F0} fragment F0 {...F1 ...F1} … fragment Fn {__typename}`: 2^n selections.
    fn ladder(n: usize) -> String {
        let mut query = String::from("{...F0}");
        for i in 0..n {
            query += &format!(
                " fragment F{i} on QueryRoot {{...F{} ...F{}}}",
                i + 1,
                i + 1
            );
        }
        query + &format!(" fragment F{n} on QueryRoot {{__typename}}")
    }

    #[test]
    fn ordinary_queries_pass() {
        assert_eq!(
            verdict(
                "query($f: Int = 3) { a: me { role } ...U } \
                 fragment U on QueryRoot { me @skip(if: false) { user { id name } } }"
            ),
            Ok(())
        );
        assert_eq!(verdict(&ladder(4)), Ok(()), "16 fields expanded");
    }

    #[test]
    fn fragment_fan_out_is_counted_expanded() {
        // 2^7 = 128 expanded fields from 15 written ones.
        assert_eq!(verdict(&ladder(7)), Err(DocumentTooLarge::Selections(100)));
    }

    #[test]
    fn fragment_fan_out_is_checked_in_linear_time() {
        let limits = DocumentLimits {
            max_fragment_spreads: 1000,
            max_definitions: 1000,
            ..limits()
        };
        let document = async_graphql::parser::parse_query(ladder(300)).expect("parses");
        assert_eq!(
            check(&document, &limits),
            Err(DocumentTooLarge::Selections(100))
        );
    }

    #[test]
    fn fragment_cycles_are_rejected() {
        assert_eq!(
            verdict("{...A} fragment A on QueryRoot {...B} fragment B on QueryRoot {...A}"),
            Err(DocumentTooLarge::FragmentCycle("A".into()))
        );
    }

    #[test]
    fn spreads_directives_values_and_definitions_are_bounded() {
        let spreads: String = (0..21).map(|_| "...U ").collect();
        assert_eq!(
            verdict(&format!(
                "{{ {spreads} }} fragment U on QueryRoot {{ __typename }}"
            )),
            Err(DocumentTooLarge::FragmentSpreads(20))
        );
        assert_eq!(
            verdict("{ __typename @skip(if: false) @skip(if: false) @skip(if: false) }"),
            Err(DocumentTooLarge::Directives(2))
        );
        let list: Vec<String> = (0..60).map(|i| i.to_string()).collect();
        assert_eq!(
            verdict(&format!("{{ f(ids: [{}]) }}", list.join(","))),
            Err(DocumentTooLarge::InputValues(50))
        );
        let variables: String = (0..51).map(|i| format!("$v{i}: Int ")).collect();
        assert_eq!(
            verdict(&format!("query({variables}) {{ __typename }}")),
            Err(DocumentTooLarge::InputValues(50))
        );
        let operations: String = (0..11).map(|i| format!("query Q{i} {{ a }} ")).collect();
        assert_eq!(verdict(&operations), Err(DocumentTooLarge::Definitions(10)));
    }

    #[test]
    fn errors_are_capped_with_a_summary() {
        let mut errors: Vec<_> = (0..10)
            .map(|i| ServerError::new(format!("e{i}"), None))
            .collect();
        cap_errors(&mut errors, 3);
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["e0", "e1", "8 more errors left out"]);
        let mut few = vec![ServerError::new("only", None)];
        cap_errors(&mut few, 3);
        assert_eq!(few.len(), 1);
    }
}
