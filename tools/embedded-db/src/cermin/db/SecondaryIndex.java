package cermin.db;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A non-unique index, in memory: key values to the positions (the `_id`s) of the documents that
 * have them. The library ignores non-unique indexes, so every query on `{courseKey, userId}` read
 * the whole collection. Built from the documents when its collection opens, so there is nothing to
 * keep consistent on disk.
 *
 * As MongoDB's, it serves equality and `$in` on a prefix of its fields: `{courseKey: 1,
 * activityId: 1, status: 1}` also answers `{courseKey}` and `{courseKey, activityId}`. So it keeps
 * one map per prefix length. The collection checks each document it returns against the whole
 * query, so a query with more fields than the prefix stays correct.
 */
final class SecondaryIndex extends Index<Object> {
  private static final String ID = "_id";
  /** At most this many key combinations asked by one query (a product of `$in` lists); more read the collection. */
  private static final int MAX_ASKED = 1000;
  /** positions.get(n - 1): the first n fields' values to positions. */
  private final List<Map<KeyValue, Set<Object>>> positions = new ArrayList<>();
  /** The non-unique indexes of the same collection, this one included: the one serving most of a query serves it. */
  private final List<SecondaryIndex> siblings;
  private long count;

  SecondaryIndex(String name, List<IndexKey> keys, boolean sparse, List<SecondaryIndex> siblings) {
    super(name, keys, sparse);
    for (int i = 0; i < keys.size(); i++) positions.add(new HashMap<>());
    this.siblings = siblings;
    synchronized (siblings) {
      siblings.add(this);
    }
  }

  private boolean skips(Document document) {
    if (!isSparse()) return false;
    for (String key : keys()) if (document.containsKey(key.split("\\.")[0])) return false;
    return true;
  }

  /**
   * The keys of a document (or of a query's values) on the first n fields: computed by the library
   * from those fields alone (the others null), so an empty array in a later field (no keys at all
   * for the whole index) does not hide the document from a shorter prefix, and cut to n values.
   */
  private Set<KeyValue> prefixKeys(Document document, int n) {
    Document part = new Document();
    for (String key : keys().subList(0, n)) if (document.containsKey(key)) part.put(key, document.get(key));
    Set<KeyValue> out = new LinkedHashSet<>();
    for (KeyValue full : getKeyValues(part)) {
      List<Object> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) values.add(full.get(i));
      out.add(new KeyValue(values));
    }
    return out;
  }

  @Override
  public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
    if (skips(document)) return;
    for (int n = 1; n <= keys().size(); n++) {
      for (KeyValue key : prefixKeys(document, n)) {
        boolean added = positions.get(n - 1).computeIfAbsent(key, k -> new LinkedHashSet<>()).add(position);
        if (added && n == keys().size()) count++;
      }
    }
  }

  @Override
  public synchronized Object remove(Document document) {
    Object position = document.get(ID);
    if (skips(document)) return null;
    for (int n = 1; n <= keys().size(); n++) {
      Map<KeyValue, Set<Object>> byPrefix = positions.get(n - 1);
      for (KeyValue key : prefixKeys(document, n)) {
        Set<Object> at = byPrefix.get(key);
        if (at != null && at.remove(position)) {
          if (n == keys().size()) count--;
          if (at.isEmpty()) byPrefix.remove(key);
        }
      }
    }
    return position;
  }

  @Override
  public void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) {
    if (nullAwareEqualsKeys(oldDocument, newDocument)) return;
    remove(oldDocument);
    add(newDocument, position, collection);
  }

  /** A query's values for one field: one value, the list of an `$in`, or null when it is another condition. */
  private static Collection<?> valuesAsked(Object value) {
    if (value instanceof Document) {
      Document condition = (Document) value;
      if (condition.size() != 1 || !(condition.get("$in") instanceof Collection)) return null;
      Collection<?> in = (Collection<?>) condition.get("$in");
      for (Object v : in) if (v == null || v instanceof Collection || v instanceof Document) return null;
      return in;
    }
    // null also matches a missing field, and an array matches as a whole: not what the keys hold.
    if (value == null || value instanceof Collection) return null;
    return List.of(value);
  }

  /**
   * The value combinations a query asks for on the longest prefix of this index's fields it
   * names with equality or `$in` (each a document of those fields only), or null when not even
   * the first field is.
   */
  private List<Document> asked(Document query) {
    List<Document> asked = new ArrayList<>();
    asked.add(new Document());
    for (String key : keys()) {
      if (!query.containsKey(key)) break;
      Collection<?> values = valuesAsked(query.get(key));
      if (values == null || asked.size() * (long) values.size() > MAX_ASKED) break;
      List<Document> next = new ArrayList<>();
      for (Document partial : asked) {
        for (Object v : values) {
          Document more = new Document(partial);
          more.put(key, v);
          next.add(more);
        }
      }
      asked = next;
    }
    return asked.get(0).isEmpty() ? null : asked;
  }

  /** How many of its fields this index can serve the query on (0: none). */
  int served(Document query) {
    if (keys().stream().anyMatch(k -> k.contains("."))) return 0;
    List<Document> asked = asked(query);
    return asked == null ? 0 : asked.get(0).size();
  }

  @Override
  public boolean canHandle(Document query) {
    int mine = served(query);
    if (mine == 0) return false;
    // The library takes the first index that can: leave the query to a sibling that serves more of it.
    synchronized (siblings) {
      for (SecondaryIndex other : siblings) if (other != this && other.served(query) > mine) return false;
    }
    return true;
  }

  @Override
  public synchronized Iterable<Object> getPositions(Document query) {
    List<Document> asked = asked(query);
    int n = asked.get(0).size();
    Map<KeyValue, Set<Object>> byPrefix = positions.get(n - 1);
    Set<Object> found = new LinkedHashSet<>();
    // The key values are computed as for a stored document, so numbers and dates compare alike.
    for (Document values : asked) {
      for (KeyValue key : prefixKeys(values, n)) {
        Set<Object> at = byPrefix.get(key);
        if (at != null) found.addAll(at);
      }
    }
    return new ArrayList<>(found);
  }

  @Override public Object getPosition(Document document) { return null; }
  @Override public void checkAdd(Document document, MongoCollection<Object> collection) {}
  @Override public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {}
  @Override public synchronized long getCount() { return count; }
  @Override public synchronized boolean isEmpty() { return count == 0; }
  @Override public long getDataSize() { return getCount(); }
  @Override
  public synchronized void drop() {
    for (Map<KeyValue, Set<Object>> m : positions) m.clear();
    count = 0;
    synchronized (siblings) {
      siblings.remove(this);
    }
  }
}
