// Compatibility stand-in for ankerl::unordered_dense (header-only; not packaged
// by Debian). Maps the names mediasoup's worker uses onto the standard
// containers: same semantics for the worker's use (lookup, insert, erase,
// iteration without order guarantees), somewhat slower and larger than upstream.
#ifndef VOXREPLY_ANKERL_UNORDERED_DENSE_COMPAT_H
#define VOXREPLY_ANKERL_UNORDERED_DENSE_COMPAT_H

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace ankerl::unordered_dense
{
	template<class Key>
	using hash = std::hash<Key>;

	template<class Key, class T, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual>;

	template<class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual>;
} // namespace ankerl::unordered_dense

#endif
